// Human-readable durations for Table cells, with the same rounding and thresholds as
// upstream's apimachinery `duration.HumanDuration` and the printers' `translateTimestampSince`
// (AGE "5m", "3h12m", "2d4h", "<unknown>" for a missing timestamp, "<invalid>" for one
// more than a second in the future).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's zero time (0001-01-01T00:00:00Z); treated like a missing timestamp. */
const GO_ZERO_TIME = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
})();

/**
 * A duration in milliseconds as upstream prints it: about two to three significant figures.
 * Whole seconds below 2 minutes ("90s"), then minutes with seconds below 10 minutes ("2m5s"),
 * minutes below 3 hours ("125m"), hours with minutes below 8 hours ("5h3m"), hours below
 * 2 days ("47h"), days with hours below 8 days ("3d4h"), days below 2 years ("400d"),
 * years with days below 8 years ("3y12d"), then years. Up to a second of clock skew in the
 * past prints as "0s"; anything further in the future is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** Parse a Kubernetes timestamp (RFC3339, optionally with fractional seconds); undefined when
 *  absent, unparsable or Go's zero time. */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  if (Number.isNaN(t) || t === GO_ZERO_TIME) return undefined;
  return t;
}

/** Elapsed time since `ts` as a human duration; "<unknown>" when there is no timestamp. */
export function translateTimestampSince(ts: unknown, now: Date): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** Time remaining until `ts` as a human duration; "<unknown>" when there is no timestamp. */
export function translateTimestampUntil(ts: unknown, now: Date): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(t - now.getTime());
}
