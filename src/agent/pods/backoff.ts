// Restart back-off as the kubelet keeps it (client-go flowcontrol.Backoff): per key a duration
// that starts at 10 s and doubles up to 5 min each time the thing fails again, forgotten when
// the last failure is more than twice the maximum (10 min) old. Used for CrashLoopBackOff
// (key: pod + container + spec hash) and ImagePullBackOff (key: pod + image).
//
// The decision "is this key in back-off now?" is the pure function `inBackOff`; the tracker only
// stores entries, so computePodActions can take a lookup and stay pure.

export interface BackoffEntry {
  /** Current back-off duration, ms. */
  durationMs: number;
  /** Time of the failure that set it (ms since epoch). */
  lastUpdate: number;
}

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

function expired(entry: BackoffEntry, at: number, maxMs: number): boolean {
  return at - entry.lastUpdate > 2 * maxMs;
}

/** True while `now` is within the entry's duration after `since` (the last failure time). */
export function inBackOff(entry: BackoffEntry | undefined, since: number, now: number, maxMs = MAX_BACKOFF_MS): boolean {
  if (!entry || expired(entry, now, maxMs)) return false;
  return now - since < entry.durationMs;
}

/** The entry after a failure at `at`: initial when new or expired, else doubled up to the max. */
export function nextBackoff(entry: BackoffEntry | undefined, at: number, initialMs = INITIAL_BACKOFF_MS, maxMs = MAX_BACKOFF_MS): BackoffEntry {
  if (!entry || expired(entry, at, maxMs)) return { durationMs: initialMs, lastUpdate: at };
  return { durationMs: Math.min(entry.durationMs * 2, maxMs), lastUpdate: at };
}

/** Go's time.Duration String for whole seconds: "10s", "1m20s", "5m0s". */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Mutable store of back-off entries (one per pod worker set). Not a decision maker. */
export class BackoffTracker {
  private readonly entries = new Map<string, BackoffEntry>();
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(opts: { initialMs?: number; maxMs?: number } = {}) {
    this.initialMs = opts.initialMs ?? INITIAL_BACKOFF_MS;
    this.maxMs = opts.maxMs ?? MAX_BACKOFF_MS;
  }

  get(key: string): BackoffEntry | undefined {
    return this.entries.get(key);
  }

  /** Record a failure at `at` (ms); returns the new entry. */
  next(key: string, at: number): BackoffEntry {
    const e = nextBackoff(this.entries.get(key), at, this.initialMs, this.maxMs);
    this.entries.set(key, e);
    return e;
  }

  isInBackOffSince(key: string, since: number, now: number): boolean {
    return inBackOff(this.entries.get(key), since, now, this.maxMs);
  }

  /** Forget every key starting with `prefix` (a pod going away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
