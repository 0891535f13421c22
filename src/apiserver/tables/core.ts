// Table printers for the core/v1 cluster and configuration kinds: Node, Namespace,
// ConfigMap, Secret, ServiceAccount, ResourceQuota and ComponentStatus.

import type { KubeObject } from '../../api/types.ts';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  col,
  nameOf,
  quantity,
  str,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/** Sorted roles of a node from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** STATUS of a node: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(node: KubeObject): string {
  const parts: string[] = [];
  // The last Ready condition wins, as with upstream's condition map.
  let ready: any;
  for (const c of node.status?.conditions ?? []) if (c?.type === 'Ready') ready = c;
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (node.spec?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = (node.status?.addresses ?? []).find((x: any) => x?.type === type);
  return a?.address ?? '<none>';
}

function orUnknown(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : '<unknown>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'The status of the node.'),
    col('Roles', 'string', 'The roles of the node.'),
    AGE_COLUMN,
    col('Version', 'string', 'Version of the node agent.'),
    col('Internal-IP', 'string', 'First InternalIP address of the node.', { priority: 1 }),
    col('External-IP', 'string', 'First ExternalIP address of the node.', { priority: 1 }),
    col('OS-Image', 'string', 'Operating system image reported by the node.', { priority: 1 }),
    col('Kernel-Version', 'string', 'Kernel version reported by the node.', { priority: 1 }),
    col('Container-Runtime', 'string', 'Container runtime name and version reported by the node.', { priority: 1 }),
  ],
  print(node: KubeObject, ctx: PrintContext): Cell[] {
    const info = node.status?.nodeInfo ?? {};
    const roles = nodeRoles(node).join(',');
    return [
      nameOf(node),
      nodeStatus(node),
      roles === '' ? '<none>' : roles,
      ageOf(node, ctx),
      str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, col('Status', 'string', 'The phase of the namespace.'), AGE_COLUMN],
  print(ns: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(ns), str(ns.status?.phase), ageOf(ns, ctx)];
  },
};

function keyCount(v: unknown): number {
  return v && typeof v === 'object' ? Object.keys(v).length : 0;
}

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, col('Data', 'string', 'Number of data and binaryData keys.'), AGE_COLUMN],
  print(cm: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(cm), keyCount(cm.data) + keyCount(cm.binaryData), ageOf(cm, ctx)];
  },
};

export const secretPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Type', 'string', 'Type of the secret.'),
    col('Data', 'string', 'Number of data keys.'),
    AGE_COLUMN,
  ],
  print(secret: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(secret), str(secret.type), keyCount(secret.data), ageOf(secret, ctx)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, col('Secrets', 'string', 'Number of secrets listed by the service account.'), AGE_COLUMN],
  print(sa: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(sa), Array.isArray(sa.secrets) ? sa.secrets.length : 0, ageOf(sa, ctx)];
  },
};

/** REQUEST and LIMIT cells: `name: used/hard` for every hard limit, sorted by resource name;
 *  `limits.*` resources go to LIMIT, all others to REQUEST. */
export function resourceQuotaCells(rq: KubeObject): [string, string] {
  const hard: Record<string, unknown> = rq.status?.hard ?? {};
  const used: Record<string, unknown> = rq.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const piece = `${name}: ${quantity(used, name)}/${quantity(hard, name)}`;
    const dotted = name.split('.');
    if (dotted.length > 1 && dotted[0] === 'limits') limits.push(piece);
    else requests.push(piece);
  }
  return [requests.join(', '), limits.join(', ')];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Request', 'string', 'Used and hard amounts of every quota resource other than limits.'),
    col('Limit', 'string', 'Used and hard amounts of the limits.* quota resources.'),
    AGE_COLUMN,
  ],
  print(rq: KubeObject, ctx: PrintContext): Cell[] {
    const [request, limit] = resourceQuotaCells(rq);
    return [nameOf(rq), request, limit, ageOf(rq, ctx)];
  },
};

export const componentStatusPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Health of the component.'),
    col('Message', 'string', 'Message of the health condition.'),
    col('Error', 'string', 'Error of the health condition.'),
  ],
  print(cs: KubeObject): Cell[] {
    const cond = (cs.conditions ?? []).find((c: any) => c?.type === 'Healthy');
    if (!cond) return [nameOf(cs), 'Unknown', '', ''];
    return [nameOf(cs), cond.status === 'True' ? 'Healthy' : 'Unhealthy', str(cond.message), str(cond.error)];
  },
};
