// Quality-of-service class of a pod (Guaranteed, Burstable, BestEffort), computed from the cpu
// and memory requests/limits of all its containers exactly as upstream's GetPodQOS does. The
// class decides the pod's cgroup parent and is reported in status.qosClass.

import { parseQuantity } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'];

function nonZero(v: unknown): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    const q = parseQuantity(v as string | number);
    if (q.isZero()) return undefined;
    // milli-units as an exact integer: enough to compare requests with limits
    return BigInt(Math.ceil(q.milliValue()));
  } catch {
    return undefined;
  }
}

/** The pod's QoS class (pure). A missing request counts as equal to its limit (API defaulting). */
export function podQosClass(pod: KubeObject): QosClass {
  const containers: any[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const name of QOS_RESOURCES) {
      const r = nonZero(req[name]) ?? nonZero(lim[name]);
      if (r !== undefined) requests.set(name, (requests.get(name) ?? 0n) + r);
    }
    let limitsFound = 0;
    for (const name of QOS_RESOURCES) {
      const l = nonZero(lim[name]);
      if (l === undefined) continue;
      limitsFound++;
      limits.set(name, (limits.get(name) ?? 0n) + l);
      const r = nonZero(req[name]) ?? l;
      if (r !== l) guaranteed = false;
    }
    if (limitsFound !== QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) if (limits.get(name) !== r) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** The pod's cgroup parent: `<root>/pods/pod<uid>` for Guaranteed, `<root>/pods/<qos>/pod<uid>` otherwise. */
export function podCgroupParent(cgroupRoot: string, qos: QosClass, podUid: string): string {
  const base = `${cgroupRoot.replace(/\/+$/, '')}/pods`;
  return qos === 'Guaranteed' ? `${base}/pod${podUid}` : `${base}/${qos.toLowerCase()}/pod${podUid}`;
}
