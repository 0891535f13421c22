// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection package
// does it, so that several copies of the scheduler or controller-manager can run and exactly
// one acts at a time.
//
//   acquire: every retryPeriod (jittered ×1.2): get the Lease; create it if missing; take it if
//            its holder is empty or its lease expired (leaseDuration after WE last saw it change,
//            by our own clock: holders' clocks are never compared); every write is a
//            compare-and-swap on resourceVersion, so two candidates never both win.
//   lead:    onStartedLeading(signal) runs; renew every retryPeriod. If no renewal succeeds
//            within renewDeadline, leadership is lost: the signal aborts, onStoppedLeading runs,
//            and run() returns (the caller usually exits and restarts, as upstream components do).
//   stop:    when run's signal aborts while leading, the Lease is released (holder cleared,
//            leaseDurationSeconds 1) so a successor takes over without waiting out the lease.

import type { Logger } from '../base/log.ts';
import type { ApiClient, ResourceClient } from './client.ts';
import { type Clock, deadlineSignal, delay, realClock, rfc3339Micro } from './clock.ts';
import { isNotFound } from './errors.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: ApiClient;
  /** Where the Lease lives, e.g. kube-system / kube-scheduler. */
  namespace: string;
  name: string;
  /** Unique per candidate (hostname + a random suffix, as upstream). */
  identity: string;
  /** How long a lease is valid after its last observed renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before giving up (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 2 s). */
  retryPeriodMs?: number;
  /** Clear the lease when run's signal aborts while leading (default true). */
  releaseOnCancel?: boolean;
  clock?: Clock;
  log: Logger;
  /** Uniform in [0, 1), for the retry jitter. */
  random?: () => number;
  /** Called once leadership is acquired; `signal` aborts when it is lost or released. Not awaited. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once after leading ends (lost or released). Not called if this candidate never led. */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?(identity: string): void;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'onStoppedLeading' | 'onNewLeader'>> & Pick<LeaderElectionOptions, 'onStoppedLeading' | 'onNewLeader'>;
  private readonly leases: ResourceClient<Lease>;
  private observed: { spec: LeaseSpec; raw: string; resourceVersion?: string; at: number } | undefined;
  private reportedLeader = '';

  constructor(opts: LeaderElectionOptions) {
    this.o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      clock: realClock,
      random: Math.random,
      // an option passed as undefined keeps its default
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as LeaderElectionOptions),
    };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = this.o;
    if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs)) throw new Error('renewDeadline must be greater than 1.2 × retryPeriod');
    if (!(retryPeriodMs > 0)) throw new Error('retryPeriod must be positive');
    this.leases = opts.client.resource<Lease>('coordination.k8s.io', 'v1', 'leases');
  }

  /** True while this candidate holds the lease as far as it last observed. */
  isLeader(): boolean {
    return this.observed?.spec.holderIdentity === this.o.identity;
  }

  /** The holder last observed ('' if none). */
  getLeader(): string {
    return this.observed?.spec.holderIdentity ?? '';
  }

  /**
   * Campaign until leading, lead until the lease is lost or `signal` aborts, then return.
   * Never rejects. One run at a time.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log, retryPeriodMs } = this.o;
    // acquire
    for (;;) {
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew(signal)) break;
      await delay(clock, retryPeriodMs * (1 + this.o.random() * JITTER_FACTOR), signal);
    }
    if (signal.aborted) {
      // Won just as we were told to stop: hand the lease back without ever acting.
      if (this.o.releaseOnCancel) await this.release();
      return;
    }
    log.info('became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    const leading = new AbortController();
    const stopLeading = () => leading.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    try {
      Promise.resolve()
        .then(() => this.o.onStartedLeading(leading.signal))
        .catch((e) => log.error('onStartedLeading failed', { error: String((e as Error)?.stack ?? e) }));
      await this.renewLoop(signal);
    } finally {
      signal.removeEventListener('abort', stopLeading);
      leading.abort();
      if (signal.aborted && this.o.releaseOnCancel) await this.release();
      else log.info('leadership lost', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
      try {
        this.o.onStoppedLeading?.();
      } catch (e) {
        log.error('onStoppedLeading failed', { error: String(e) });
      }
    }
  }

  /** Renew every retryPeriod; return when a renewal could not succeed within renewDeadline, or on abort. */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    const { clock, renewDeadlineMs, retryPeriodMs } = this.o;
    while (!signal.aborted) {
      const deadline = deadlineSignal(clock, renewDeadlineMs, signal);
      let renewed = false;
      try {
        while (!deadline.signal.aborted) {
          if ((renewed = await this.tryAcquireOrRenew(deadline.signal))) break;
          await delay(clock, retryPeriodMs, deadline.signal);
        }
      } finally {
        deadline.dispose();
      }
      if (!renewed) return;
      await delay(clock, retryPeriodMs, signal);
    }
  }

  /** One attempt: true when we hold the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { clock, identity, namespace, name, log } = this.o;
    const now = clock.now();
    const nowStr = rfc3339Micro(now);
    const want: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: Math.round(this.o.leaseDurationMs / 1000), acquireTime: nowStr, renewTime: nowStr };
    try {
      // Fast path: we lead and our lease is still valid: renew on top of what we last saw.
      if (this.isLeader() && this.leaseValid(now) && this.observed!.resourceVersion) {
        const spec = { ...want, acquireTime: this.observed!.spec.acquireTime, leaseTransitions: this.observed!.spec.leaseTransitions ?? 0 };
        try {
          const updated = await this.leases.update(namespace, this.lease(spec, this.observed!.resourceVersion), { signal });
          this.observe(updated, clock.now());
          return true;
        } catch (e) {
          if (signal.aborted) return false;
          log.debug('lease renewal failed; re-reading', { error: String((e as Error)?.message ?? e) });
        }
      }
      let current: Lease;
      try {
        current = await this.leases.get(namespace, name, { signal });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        const created = await this.leases.create(namespace, this.lease({ ...want, leaseTransitions: 0 }), { signal });
        this.observe(created, clock.now());
        return true;
      }
      this.observe(current, now);
      const spec = current.spec ?? {};
      if (spec.holderIdentity && this.leaseValid(now) && spec.holderIdentity !== identity) return false;
      const next: LeaseSpec =
        spec.holderIdentity === identity
          ? { ...want, acquireTime: spec.acquireTime ?? nowStr, leaseTransitions: spec.leaseTransitions ?? 0 }
          : { ...want, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
      const updated = await this.leases.update(namespace, this.lease(next, current.metadata.resourceVersion), { signal });
      this.observe(updated, clock.now());
      return true;
    } catch (e) {
      if (!signal.aborted) log.debug('leader election attempt failed', { lease: `${namespace}/${name}`, error: String((e as Error)?.message ?? e) });
      return false;
    }
  }

  /** Clear the holder so a successor need not wait out the lease. Best effort. */
  private async release(): Promise<void> {
    if (!this.isLeader() || !this.observed) return;
    const { clock, log, namespace } = this.o;
    const nowStr = rfc3339Micro(clock.now());
    const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: nowStr, renewTime: nowStr, leaseTransitions: this.observed.spec.leaseTransitions ?? 0 };
    const deadline = deadlineSignal(clock, this.o.renewDeadlineMs);
    try {
      const updated = await this.leases.update(namespace, this.lease(spec, this.observed.resourceVersion), { signal: deadline.signal });
      this.observe(updated, clock.now());
      log.info('released the lease', { lease: `${namespace}/${this.o.name}`, identity: this.o.identity });
    } catch (e) {
      log.warn('could not release the lease', { error: String((e as Error)?.message ?? e) });
    } finally {
      deadline.dispose();
    }
  }

  private lease(spec: LeaseSpec, resourceVersion?: string): Lease {
    const metadata: Lease['metadata'] = { name: this.o.name, namespace: this.o.namespace };
    if (resourceVersion) metadata.resourceVersion = resourceVersion;
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec };
  }

  /** Remember the lease; the observation time moves only when its content changed. */
  private observe(lease: Lease, now: number): void {
    const spec = lease.spec ?? {};
    const raw = JSON.stringify(spec);
    if (!this.observed || this.observed.raw !== raw) this.observed = { spec, raw, resourceVersion: lease.metadata.resourceVersion, at: now };
    else this.observed.resourceVersion = lease.metadata.resourceVersion;
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder) this.o.onNewLeader?.(holder);
    }
  }

  private leaseValid(now: number): boolean {
    if (!this.observed) return false;
    return this.observed.at + (this.observed.spec.leaseDurationSeconds ?? 0) * 1000 > now;
  }
}
