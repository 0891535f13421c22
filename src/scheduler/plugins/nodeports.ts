// NodePorts: a pod asking for host ports fits only nodes where none of them is already taken
// (0.0.0.0 conflicts with every address of the same protocol/port).

import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  HostPortInfo,
  NodeInfo,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  SignPlugin,
  Snapshot,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { podHostPorts } from '../framework/podinfo.ts';
import { hostPortConflicts } from '../framework/nodeinfo.ts';
import { events, QUEUE, SKIP } from './helpers.ts';

export const NODE_PORTS = 'NodePorts';
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const PRE_FILTER_KEY = 'PreFilter' + NODE_PORTS;

/** Whether none of `wanted` conflicts with `used`. */
export function fitsPorts(wanted: readonly HostPortInfo[], used: readonly HostPortInfo[]): boolean {
  for (const p of wanted) if (hostPortConflicts(used, p.ip, p.protocol, p.port)) return false;
  return true;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, SignPlugin, EnqueueExtensions {
  readonly name = NODE_PORTS;
  private readonly rejected = Status.unschedulable(ERR_REASON_PORTS);

  preFilter(state: CycleState, pod: PodInfo, _snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    const ports = podHostPorts(pod.pod);
    if (ports.length === 0) return { status: Status.skip() };
    state.write(PRE_FILTER_KEY, ports);
    return { status: Status.success() };
  }

  signPod(pod: PodInfo): unknown {
    return podHostPorts(pod.pod);
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const wanted = state.read<HostPortInfo[]>(PRE_FILTER_KEY) ?? podHostPorts(pod.pod);
    return fitsPorts(wanted, node.usedPorts) ? Status.success() : this.rejected;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Ports are immutable, so only a deleted pod can free one.
      ...events('Pod', ['Delete'], (pod, deleted) => {
        if (!deleted || !deleted.spec?.nodeName) return SKIP;
        const used = podHostPorts(deleted);
        if (used.length === 0) return SKIP;
        return fitsPorts(podHostPorts(pod), used) ? SKIP : QUEUE;
      }),
      ...events('Node', ['Add']),
    ];
  }
}

export function newNodePorts(): NodePorts {
  return new NodePorts();
}

