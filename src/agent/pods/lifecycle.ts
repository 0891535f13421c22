// Container lifecycle hooks (postStart, preStop): exec in the container, httpGet against the
// pod, or sleep. Returns an outcome with the kubelet's failure wording; never throws.

import type { KubeObject } from '../../api/types.ts';
import { type Clock, delay } from '../../client/clock.ts';
import type { Runtime } from '../runtime/types.ts';
import { podDescription } from './labels.ts';
import { runProbe } from './probes.ts';

export interface HookOutcome {
  ok: boolean;
  message?: string;
}

/** Run a lifecycle handler; `signal` bounds it (preStop: the grace period). */
export async function runHook(handler: any, pod: KubeObject, container: any, containerId: string, podIP: string | undefined, runtime: Pick<Runtime, 'exec'>, clock: Clock, signal?: AbortSignal): Promise<HookOutcome> {
  const where = `for Container "${container.name}" in Pod "${podDescription(pod)}"`;
  if (handler.sleep) {
    await delay(clock, (handler.sleep.seconds ?? 0) * 1000, signal);
    return { ok: true };
  }
  if (handler.exec) {
    const cmd: string[] = handler.exec.command ?? [];
    const r = await runProbe({ exec: { command: cmd }, timeoutSeconds: 86_400 }, { pod, container, containerId, podIP }, runtime, clock, signal);
    return r.ok ? r : { ok: false, message: `Exec lifecycle hook (${JSON.stringify(cmd)}) ${where} failed - error: command '${cmd.join(' ')}' exited with non-zero code, message: ${JSON.stringify(r.message ?? '')}` };
  }
  if (handler.httpGet) {
    const r = await runProbe({ httpGet: handler.httpGet, timeoutSeconds: 86_400 }, { pod, container, containerId, podIP }, runtime, clock, signal);
    return r.ok ? r : { ok: false, message: `HTTP lifecycle hook (${handler.httpGet.path ?? '/'}) ${where} failed - error: ${r.message ?? ''}` };
  }
  return { ok: false, message: `Unknown lifecycle hook handler ${where}` };
}
