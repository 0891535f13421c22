// Table printers for pods and pod templates. The pod STATUS/READY/RESTARTS cells follow
// upstream's printPod: init progress (`Init:1/2`, `Init:CrashLoopBackOff`), the first
// container's waiting/terminated reason, `Completed` turned back into Running/NotReady while
// a container still runs, sidecar (restartable init container) readiness and restarts,
// `SchedulingGated`, `Terminating`, and `Unknown` for a deleted pod on a lost node.

import type { KubeObject } from '../../api/types.ts';
import { translateTimestampSince, parseTimestamp } from './duration.ts';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  col,
  containerCells,
  formatLabels,
  nameOf,
  type Cell,
  type PrintContext,
  type Printer,
  type RowCondition,
} from './format.ts';

/** Status.reason a node controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

function isRestartableInitContainer(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(conditions: any[] | undefined, type: string): boolean {
  for (const c of conditions ?? []) {
    if (c?.type === type) return c.status === 'True';
  }
  return false;
}

/** Latest finishedAt among containers' last terminations, or undefined. */
function laterTermination(current: number | undefined, status: any): number | undefined {
  const finished = parseTimestamp(status?.lastState?.terminated?.finishedAt);
  if (finished === undefined) return current;
  return current === undefined || finished > current ? finished : current;
}

function terminatedReason(t: any, prefix: string): string {
  if (t.reason) return prefix + t.reason;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode ?? 0}`;
}

/** The READY, STATUS and RESTARTS cells of a pod. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const containers: any[] = spec.containers ?? [];
  const initContainers: any[] = spec.initContainers ?? [];
  let restarts = 0;
  let sidecarRestarts = 0;
  let readyContainers = 0;
  let totalContainers = containers.length;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;

  const phase: string = status.phase ?? '';
  let reason: string = status.reason ? status.reason : phase;
  for (const c of status.conditions ?? []) {
    if (c?.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, any>();
  for (const c of initContainers) {
    initByName.set(c?.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    const state = cs.state ?? {};
    const sidecar = isRestartableInitContainer(initByName.get(cs.name));
    restarts += cs.restartCount ?? 0;
    lastRestart = laterTermination(lastRestart, cs);
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0;
      lastSidecarRestart = laterTermination(lastSidecarRestart, cs);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      reason = terminatedReason(state.terminated, 'Init:');
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    // Walk backwards so that the first container's reason wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      const state = cs.state ?? {};
      restarts += cs.restartCount ?? 0;
      lastRestart = laterTermination(lastRestart, cs);
      if (state.waiting?.reason) {
        reason = state.waiting.reason;
      } else if (state.terminated) {
        reason = terminatedReason(state.terminated, '');
      } else if (cs.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = !!pod.metadata?.deletionTimestamp;
  if (deleting && status.reason === NODE_UNREACHABLE_REASON) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsCell = `${restarts} (${translateTimestampSince(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsCell };
}

function readinessGatesCell(pod: KubeObject): string {
  const gates: any[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  let trueConditions = 0;
  for (const gate of gates) {
    const cond = (pod.status?.conditions ?? []).find((c: any) => c?.type === gate?.conditionType);
    if (cond?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

function podIP(pod: KubeObject): string {
  const ips: any[] = pod.status?.podIPs ?? [];
  const ip = ips.length > 0 ? ips[0]?.ip : pod.status?.podIP;
  return ip ? ip : '<none>';
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready containers out of all containers of the pod.'),
    col('Status', 'string', 'Summary of the pod phase and its containers states.'),
    col('Restarts', 'string', 'Container restarts in the pod, and how long ago the last one happened.'),
    AGE_COLUMN,
    col('IP', 'string', 'Primary IP address of the pod.', { priority: 1 }),
    col('Node', 'string', 'Node the pod is bound to.', { priority: 1 }),
    col('Nominated Node', 'string', 'Node nominated for the pod by preemption.', { priority: 1 }),
    col('Readiness Gates', 'string', 'Readiness gate conditions that are true out of all gates.', { priority: 1 }),
  ],
  print(pod: KubeObject, ctx: PrintContext): Cell[] {
    const { ready, status, restarts } = podStatusCells(pod, ctx.now);
    return [
      nameOf(pod),
      ready,
      status,
      restarts,
      ageOf(pod, ctx),
      podIP(pod),
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGatesCell(pod),
    ];
  },
  conditions(pod: KubeObject): RowCondition[] | undefined {
    switch (pod.status?.phase) {
      case 'Succeeded':
        return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod completed successfully.' }];
      case 'Failed':
        return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      default:
        return undefined;
    }
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Containers', 'string', 'Names of the containers in the template.'),
    col('Images', 'string', 'Images of the containers in the template.'),
    col('Pod Labels', 'string', 'Labels of the pod template.'),
  ],
  print(obj: KubeObject): Cell[] {
    const [names, images] = containerCells(obj.template?.spec?.containers);
    return [nameOf(obj), names, images, formatLabels(obj.template?.metadata?.labels)];
  },
};
