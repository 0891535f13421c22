// The closed-loop load driver: `concurrency` workers each run one operation at a time until
// `total` operations were started (a bounded loop), recording each operation's latency.
// A run gives up after too many failures and reports the first one.

export interface DriveResult {
  /** Latency of every successful operation, ms. */
  latencies: number[];
  wallMs: number;
  errors: number;
  firstError?: string;
}

const MAX_ERRORS = 50;

export async function drive(concurrency: number, total: number, op: (i: number) => Promise<void>): Promise<DriveResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < total && errors < MAX_ERRORS) {
      const i = next++;
      const t0 = performance.now();
      try {
        await op(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, total)) }, worker));
  const wallMs = performance.now() - t0;
  if (errors >= MAX_ERRORS) throw new Error(`gave up after ${errors} failed operations; first: ${firstError}`);
  return { latencies, wallMs, errors, firstError };
}

/** Resolves after `ms` (pacing writes at a fixed interval, not waiting for a condition). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
