// The text forms Go's Kubernetes types use in JSON for values that travel as numbers in
// protobuf: metav1.Time (RFC 3339, seconds), metav1.MicroTime (RFC 3339, microseconds) and
// metav1.Duration (Go's time.Duration.String(), e.g. "1h2m3.5s").

/** `2026-11-22T10:00:00Z` for a Unix time in seconds, as metav1.Time marshals it (UTC). */
export function formatRfc3339(seconds: bigint): string {
  return isoDate(seconds) + 'Z';
}

/** `2026-11-22T10:00:00.123456Z` as metav1.MicroTime marshals it; nanos are truncated to micros. */
export function formatRfc3339Micro(seconds: bigint, nanos: number): string {
  const micros = Math.floor(nanos / 1000);
  return `${isoDate(seconds)}.${String(micros).padStart(6, '0')}Z`;
}

function isoDate(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError(`time ${seconds}s is out of range`);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Go's time.Duration.String() for a duration in nanoseconds: "0s", "1.5µs", "100ms", "1h0m0s". */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  let u = negative ? -nanos : nanos;
  let text: string;
  if (u < 1_000_000_000n) {
    // Under a second: the largest unit that keeps an integer part, with a trimmed fraction.
    const [unit, precision] = u < 1_000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [whole, frac] = splitFraction(u, precision);
    text = `${whole}${frac}${unit}`;
  } else {
    const [seconds, frac] = splitFraction(u, 9);
    u = seconds;
    text = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      text = `${u % 60n}m${text}`;
      u /= 60n;
      if (u > 0n) text = `${u}h${text}`;
    }
  }
  return negative ? '-' + text : text;
}

/** Splits v into v / 10^precision and its fraction as ".123" with trailing zeros dropped ("" when none). */
function splitFraction(v: bigint, precision: number): [bigint, string] {
  if (precision === 0) return [v, ''];
  const scale = 10n ** BigInt(precision);
  const digits = String(v % scale).padStart(precision, '0').replace(/0+$/, '');
  return [v / scale, digits ? '.' + digits : ''];
}
