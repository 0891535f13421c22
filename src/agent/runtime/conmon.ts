// Launching a container under conmon, the per-container monitor CRI-O and Podman use. conmon
// runs `<runtime> create`, keeps the container's stdio and writes it to the CRI log file, reaps
// the container and records its exit code in files, and outlives the agent (it daemonizes and is
// re-parented to init). The agent learns the outcome of `create` through a sync pipe at fd 3.

import type { Launcher } from '../launcher.ts';

export interface ConmonLaunch {
  conmonBinary: string;
  /** Absolute path of the OCI runtime binary. */
  runtimeBinary: string;
  /** The runtime's state directory (`--root`). */
  runtimeRoot: string;
  id: string;
  name: string;
  bundle: string;
  /** Per-container directory: pid, conmon.pid, exit (and oom) files. */
  persistDir: string;
  exitDir: string;
  socketDir: string;
  logPath: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep the container's stdin open when an attached client disconnects (stdin && !stdinOnce). */
  leaveStdinOpen?: boolean;
}

/** The argv for conmon. Pure. */
export function conmonArgs(o: ConmonLaunch): string[] {
  const args = [
    '--api-version', '1',
    '-c', o.id, '-u', o.id, '-n', o.name,
    '-r', o.runtimeBinary,
    '-b', o.bundle,
    '-p', `${o.persistDir}/pid`,
    '-P', `${o.persistDir}/conmon.pid`,
    '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir,
    '-0', o.persistDir,
    '--socket-dir-path', o.socketDir,
    '--runtime-arg', '--root', '--runtime-arg', o.runtimeRoot,
  ];
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
  return args;
}

/**
 * Parse what conmon writes on its sync pipe: `{"data": <pid>}` once create succeeded, or a
 * negative value with a "message" when it failed. Returns the pid or throws the message. Pure.
 */
export function parseSyncMessage(line: string): number {
  const msg = JSON.parse(line) as { data?: number; pid?: number; message?: string };
  const pid = msg.data ?? msg.pid ?? -1;
  if (pid <= 0) throw new Error((msg.message ?? `conmon reported ${line.trim()}`).trim());
  return pid;
}

/**
 * Start conmon for a created-not-started container and wait until the runtime's `create`
 * finished. Resolves with the container's init pid; rejects with the runtime's error text.
 * conmon runs from the launcher's helper shell (its own session), in the container's state
 * directory, with the sync pipe at fd 3.
 */
export async function launchConmon(launcher: Launcher, o: ConmonLaunch, timeoutMs = 30_000): Promise<number> {
  const r = await launcher.launch({
    cmd: o.conmonBinary,
    args: conmonArgs(o),
    // conmon writes an `oom` marker into its working directory too: keep it in the container's state.
    cwd: o.persistDir,
    env: { _OCI_SYNCPIPE: '3' },
    firstLineOfFd3: true,
    timeoutMs,
  });
  const line = r.stdout.trim();
  if (!line) {
    if (r.timedOut) throw new Error(`conmon gave no answer within ${timeoutMs} ms`);
    throw new Error(`conmon closed the sync pipe without an answer${r.stderr.trim() ? ': ' + r.stderr.trim() : ''}`);
  }
  return parseSyncMessage(line);
}
