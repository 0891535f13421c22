// Runs one CNI plugin binary with the CNI 1.0 exec protocol: parameters in CNI_* environment
// variables, the network configuration as JSON on stdin, the result as JSON on stdout, and on
// failure a non-zero exit with an error object {code, msg, details} on stdout.

import * as path from 'node:path';
import type { Launcher, LaunchResult } from '../launcher.ts';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface CniInvocation {
  command: CniCommand;
  containerId: string;
  /** Path of the network namespace; '' when it is gone (allowed for DEL only). */
  netns: string;
  ifName: string;
}

/** A plugin failure, carrying the CNI error code and message the plugin printed. */
export class CniPluginError extends Error {
  readonly plugin: string;
  readonly cniCode: number;
  readonly details: string;
  constructor(plugin: string, cniCode: number, msg: string, details: string) {
    super(`plugin type="${plugin}" failed (${cniCode}): ${msg}${details ? `: ${details}` : ''}`);
    this.name = 'CniPluginError';
    this.plugin = plugin;
    this.cniCode = cniCode;
    this.details = details;
  }
}

export interface PluginExecOptions {
  /** Directory holding the plugin binaries (also passed as CNI_PATH). */
  pluginDir: string;
  /** Starts the plugin process. */
  launcher: Launcher;
  /** Kill the plugin after this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Execute the plugin named by config.type. Resolves with the parsed stdout (undefined when the
 * plugin printed nothing, as DEL does); rejects with CniPluginError on a non-zero exit.
 */
export async function execPlugin(opts: PluginExecOptions, inv: CniInvocation, config: Record<string, unknown>): Promise<unknown> {
  const type = String(config.type);
  const bin = path.join(opts.pluginDir, type);
  const env: Record<string, string> = {
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_ARGS: '',
    CNI_PATH: opts.pluginDir,
  };
  let r: LaunchResult;
  try {
    r = await opts.launcher.launch({ cmd: bin, args: [], env, input: JSON.stringify(config), timeoutMs: opts.timeoutMs ?? 60_000 });
  } catch (e) {
    throw new CniPluginError(type, 999, `cannot run ${bin}: ${(e as Error).message}`, '');
  }
  const stdout = r.stdout.trim();
  const stderr = r.stderr.trim();
  if (r.status === 0 && !r.timedOut) {
    if (!stdout) return undefined;
    try {
      return JSON.parse(stdout);
    } catch {
      throw new CniPluginError(type, 999, `invalid result JSON from ${inv.command}`, stdout.slice(0, 200));
    }
  }
  let parsed: { code?: number; msg?: string; details?: string } = {};
  try {
    parsed = stdout ? JSON.parse(stdout) : {};
  } catch {
    parsed = { msg: stdout };
  }
  const msg = parsed.msg || stderr || (r.timedOut ? 'timed out' : r.status === 127 ? `cannot run ${bin}` : `exit code ${r.status}`);
  throw new CniPluginError(type, parsed.code ?? 999, msg, parsed.details ?? '');
}
