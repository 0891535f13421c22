// The V8 flags bin/skiff gives `skiff server` and `skiff scheduler`, for benchmarks that run the
// same code in their own process (the scheduler benchmarks): one V8 background thread fewer than
// the machine has cores, 1 to 4 (bin/skiff says why). ensureServerV8Flags() re-runs the current
// script under them when it was started without.

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** `--v8-pool-size` as bin/skiff computes it for the server. */
export function serverV8Flags(cores = availableParallelism()): string[] {
  const pool = cores > 4 ? 4 : cores > 1 ? cores - 1 : 1;
  return [`--v8-pool-size=${pool}`];
}

/**
 * Unless this process already runs with a `--v8-pool-size`, run the same script with the same
 * arguments under serverV8Flags() and exit with its status (Ctrl-C reaches both; the child does
 * the cleaning up).
 */
export function ensureServerV8Flags(): void {
  if (process.execArgv.some((a) => a.startsWith('--v8-pool-size'))) return;
  const r = spawnSync(process.execPath, [...serverV8Flags(), ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
