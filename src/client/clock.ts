// Time for the client library: the current time and one-shot timers, behind an interface so
// that the work queue, reflector back-off, leader election and event aggregation can be
// driven by a fake clock in tests (testing.ts) and never sleep.

/** An opaque handle returned by Clock.setTimeout. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * Contract: now() is milliseconds since the epoch and never goes backwards within one clock.
 * setTimeout calls fn once, no earlier than `ms` after the call (ms <= 0 means "soon, not
 * synchronously"); clearTimeout of a fired or cleared handle is a no-op. Timers keep a real
 * process alive: whoever sets one clears it when its AbortSignal fires.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The wall clock and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
};

/**
 * Wait `ms` on `clock`. Resolves true when the time has passed, false as soon as `signal`
 * aborts (never rejects); the timer is cleared either way, so nothing dangles.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An AbortSignal that aborts when `parent` aborts or after `ms` on `clock`, whichever is first.
 * Call dispose() when done so neither the timer nor the parent listener outlives the use.
 */
export function deadlineSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onAbort = () => ac.abort(parent?.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  const handle = clock.setTimeout(() => ac.abort(new DOMException('deadline exceeded', 'TimeoutError')), ms);
  return {
    signal: ac.signal,
    dispose() {
      clock.clearTimeout(handle);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

/** RFC 3339 with seconds precision, as metav1.Time marshals (`2006-01-02T15:04:05Z`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime marshals (`2006-01-02T15:04:05.000000Z`). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
