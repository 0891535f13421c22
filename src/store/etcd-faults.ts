// How the etcd:// backend's client handles faults (the etcd3 client's `faultHandling` and gRPC
// channel options), chosen for an apiserver rather than etcd3's defaults:
// - No circuit breaker. etcd3's default opens a per-host breaker for 5 s after 3 failures, and
//   with one etcd host that fails every call of the server — every API request — for one bad
//   reply. Each call here succeeds or fails on its own.
// - Retries only where they cannot change an outcome (etcd's own Go client has the same rule):
//   any call is retried when it failed before it reached etcd (no connection, stream refused,
//   no leader, too many requests); reads are retried also when the connection broke under
//   them (`retryableRead`, applied by the backend around its idempotent calls). A write whose fate is unknown is never repeated: a compare-and-swap
//   that did commit would report "exists"/"conflict" on a second try.
// - Retrying is bounded by attempts and time, with exponential back-off.
// - gRPC messages of any size: replies of a large list (or a watch catching up) are not capped
//   at gRPC's 4 MB default; etcd itself bounds requests (--max-request-bytes).

import type { IOptions } from 'etcd3';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = NonNullable<FaultHandling['global']>;
type Backoff = NonNullable<FaultHandling['watchBackoff']>;

export interface RetryBudget {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No new attempt starts later than this after the first one. */
  maxElapsedMs: number;
  /** Wait before the second attempt; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Budget for retrying a call that failed before reaching etcd, or a read (about 3 s). */
export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxAttempts: 10, maxElapsedMs: 3000, initialDelayMs: 25, maxDelayMs: 1000 };

/** gRPC channel options for the etcd client. */
export const GRPC_CHANNEL_OPTIONS = {
  // -1 = unlimited (gRPC's default is 4 MB); etcd's Go client allows 2 GiB.
  'grpc.max_receive_message_length': -1,
  // etcd rejects requests over its --max-request-bytes (1.5 MiB by default) with a clear error.
  'grpc.max_send_message_length': -1,
  // Find a dead connection to etcd within ~40 s, as kube-apiserver does (30 s + 10 s).
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // Reconnect promptly after etcd comes back (gRPC's default backs off up to 120 s).
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
} as const;

/** Unary calls that take longer than this fail (DEADLINE_EXCEEDED) instead of hanging. */
export const CALL_DEADLINE_MS = 60_000;

/** gRPC texts (status details) of failures that happened before the request reached etcd. */
const NOT_SENT = [
  'No connection established',
  'Channel closed before call started',
  'Channel has been shut down',
  'Stream refused by server',
  'Name resolution failed',
  'failed to connect',
  // etcd refused the request before proposing it:
  'etcdserver: no leader',
  'etcdserver: too many requests',
  'etcdserver: not capable',
];

/** The call failed before it reached etcd (or etcd refused it unread): safe to retry any call. */
export function failedBeforeSending(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const message = err.message;
  return NOT_SENT.some((text) => message.includes(text));
}

/**
 * A read reached etcd and failed for a reason a new attempt can fix (the connection or the
 * leader went away). Failures before sending are not included: the global policy already
 * retried those within its budget.
 */
export function retryableRead(err: unknown): boolean {
  if (!(err instanceof Error) || failedBeforeSending(err)) return false;
  // gRPC status 14: etcd3 casts it to GRPCUnavailableError, message "14 UNAVAILABLE: ...".
  return err.constructor.name === 'GRPCUnavailableError' || /^14 UNAVAILABLE:/.test(err.message);
}

export interface Sleeper {
  sleep(ms: number): Promise<void>;
  now(): number;
}

const realTime: Sleeper = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** Run `fn`, retrying while `retryable(err)` within `budget`; the last error is thrown. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  budget: RetryBudget = DEFAULT_RETRY_BUDGET,
  time: Sleeper = realTime,
): Promise<T> {
  const start = time.now();
  let delay = budget.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!retryable(err) || attempt >= budget.maxAttempts || time.now() - start + delay > budget.maxElapsedMs) throw err;
    }
    await time.sleep(delay);
    delay = Math.min(delay * 2, budget.maxDelayMs);
  }
}

/**
 * The client's global policy: every unary call runs through it (and etcd3 picks another host
 * for each new attempt). Retries only calls that never reached etcd.
 */
function unsentRetryPolicy(budget: RetryBudget): Policy {
  const signal = new AbortController().signal;
  const policy = {
    execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) =>
      withRetry(async () => await fn({ signal }), failedBeforeSending, budget),
  };
  // etcd3 calls only execute(); the rest of cockatiel's IPolicy (events) is never used.
  return policy as unknown as Policy;
}

/** The per-host policy: calls straight through (no circuit breaker, see the header). */
function passThroughPolicy(): Policy {
  const signal = new AbortController().signal;
  const policy = { execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) => await fn({ signal }) };
  return policy as unknown as Policy;
}

/** Back-off between watch stream reconnects: doubling from initialMs to maxMs, with jitter. */
export class WatchBackoff {
  readonly duration: number;
  private readonly base: number;
  private readonly maxMs: number;

  constructor(base = 100, maxMs = 2000) {
    this.base = base;
    this.maxMs = maxMs;
    // ±20 % so many watch streams do not reconnect in lockstep.
    this.duration = Math.round(base * (0.8 + Math.random() * 0.4));
  }

  next(): WatchBackoff {
    return new WatchBackoff(Math.min(this.base * 2, this.maxMs), this.maxMs);
  }
}

/** The `faultHandling` option for `new Etcd3(...)`. */
export function faultHandling(budget: RetryBudget = DEFAULT_RETRY_BUDGET): FaultHandling {
  return {
    global: unsentRetryPolicy(budget),
    host: () => passThroughPolicy(),
    watchBackoff: new WatchBackoff() as unknown as Backoff,
  };
}
