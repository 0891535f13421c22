// Runs one CNI plugin binary with the CNI 1.0 exec protocol: parameters in CNI_* environment
// variables, the network configuration as JSON on stdin, the result as JSON on stdout, and on
// failure a non-zero exit with an error object {code, msg, details} on stdout.

import { spawn } from 'node:child_process';
import * as path from 'node:path';

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
  /** Kill the plugin after this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Execute the plugin named by config.type. Resolves with the parsed stdout (undefined when the
 * plugin printed nothing, as DEL does); rejects with CniPluginError on a non-zero exit.
 */
export function execPlugin(opts: PluginExecOptions, inv: CniInvocation, config: Record<string, unknown>): Promise<unknown> {
  const type = String(config.type);
  const bin = path.join(opts.pluginDir, type);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_PATH: opts.pluginDir,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CniPluginError(type, 999, `cannot run ${bin}: ${e.message}`, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8').trim();
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) {
        if (!stdout) return resolve(undefined);
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new CniPluginError(type, 999, `invalid result JSON from ${inv.command}`, stdout.slice(0, 200)));
        }
        return;
      }
      let parsed: { code?: number; msg?: string; details?: string } = {};
      try {
        parsed = stdout ? JSON.parse(stdout) : {};
      } catch {
        parsed = { msg: stdout };
      }
      const msg = parsed.msg || stderr || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new CniPluginError(type, parsed.code ?? 999, msg, parsed.details ?? ''));
    });
    child.stdin.on('error', () => {}); // a plugin that exits before reading stdin
    child.stdin.end(JSON.stringify(config));
  });
}
