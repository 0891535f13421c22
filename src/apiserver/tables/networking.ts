// Table printers for service networking: Service, Endpoints, EndpointSlice, Ingress,
// IngressClass and NetworkPolicy. Server-side tables are always generated "wide", so
// load-balancer addresses are never clipped here.

import type { KubeObject } from '../../api/types.ts';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  col,
  formatLabelSelector,
  formatLabels,
  joinHostPort,
  listWithMore,
  nameOf,
  str,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

/** Sorted, de-duplicated load-balancer ingress IPs (or hostnames), comma-joined. */
function loadBalancerString(ingress: unknown): string {
  const set = new Set<string>();
  for (const i of Array.isArray(ingress) ? ingress : []) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

/** EXTERNAL-IP of a service. */
export function serviceExternalIP(svc: KubeObject): string {
  const spec = svc.spec ?? {};
  const externalIPs: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerString(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** PORT(S) of a service: `80/TCP`, `80:30080/TCP` with a node port, comma-joined. */
export function servicePorts(svc: KubeObject): string {
  const ports: any[] = svc.spec?.ports ?? [];
  return ports
    .map((p) => {
      const protocol = p?.protocol ?? 'TCP';
      return p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p?.port}/${protocol}`;
    })
    .join(',');
}

function serviceClusterIP(svc: KubeObject): string {
  const ips: string[] = svc.spec?.clusterIPs ?? [];
  if (ips.length > 0) return ips[0];
  return svc.spec?.clusterIP ? svc.spec.clusterIP : '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    col('Cluster-IP', 'string', 'Virtual IP address of the service inside the cluster.'),
    col('External-IP', 'string', 'Addresses the service is reachable at from outside the cluster.'),
    col('Port(s)', 'string', 'Ports exposed by the service.'),
    AGE_COLUMN,
    col('Selector', 'string', 'Labels of the pods traffic is routed to.', { priority: 1 }),
  ],
  print(svc: KubeObject, ctx: PrintContext): Cell[] {
    const ports = servicePorts(svc);
    return [
      nameOf(svc),
      str(svc.spec?.type),
      serviceClusterIP(svc),
      serviceExternalIP(svc),
      ports === '' ? '<none>' : ports,
      ageOf(svc, ctx),
      formatLabels(svc.spec?.selector),
    ];
  },
};

/** ENDPOINTS of an Endpoints object: up to three `ip:port` (or bare IPs for port-less
 *  subsets), then ` + N more...`; `<none>` without subsets. */
export function endpointsCell(ep: KubeObject): string {
  const subsets: any[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(joinHostPort(str(a?.ip), port?.port));
      }
    }
  }
  const joined = list.join(',');
  return count > max ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, col('Endpoints', 'string', 'Ready addresses and ports of the service.'), AGE_COLUMN],
  print(ep: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(ep), endpointsCell(ep), ageOf(ep, ctx)];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('AddressType', 'string', 'Type of the addresses in the slice: IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 'Ports of the endpoints.'),
    col('Endpoints', 'string', 'Addresses of the endpoints.'),
    AGE_COLUMN,
  ],
  print(slice: KubeObject, ctx: PrintContext): Cell[] {
    const ports = ((slice.ports ?? []) as any[]).map((p) =>
      typeof p?.port === 'number' ? String(p.port) : typeof p?.name === 'string' ? p.name : '*',
    );
    const addresses: string[] = [];
    for (const e of (slice.endpoints ?? []) as any[]) for (const a of e?.addresses ?? []) addresses.push(a);
    return [nameOf(slice), str(slice.addressType), listWithMore(ports), listWithMore(addresses), ageOf(slice, ctx)];
  },
};

function ingressHosts(rules: any[]): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && r?.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - max} more...` : joined;
}

export const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Class', 'string', 'IngressClass that handles the ingress.'),
    col('Hosts', 'string', 'Hosts the ingress rules match.'),
    col('Address', 'string', 'Load-balancer addresses of the ingress.'),
    col('Ports', 'string', 'Ports the ingress serves.'),
    AGE_COLUMN,
  ],
  print(ing: KubeObject, ctx: PrintContext): Cell[] {
    const tls: unknown[] = ing.spec?.tls ?? [];
    return [
      nameOf(ing),
      typeof ing.spec?.ingressClassName === 'string' ? ing.spec.ingressClassName : '<none>',
      ingressHosts(ing.spec?.rules ?? []),
      loadBalancerString(ing.status?.loadBalancer?.ingress),
      tls.length > 0 ? '80, 443' : '80',
      ageOf(ing, ctx),
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller that implements the class.'),
    col('Parameters', 'string', 'Resource holding extra configuration for the class.'),
    AGE_COLUMN,
  ],
  print(ic: KubeObject, ctx: PrintContext): Cell[] {
    const p = ic.spec?.parameters;
    let parameters = '<none>';
    if (p) parameters = `${str(p.kind)}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${str(p.name)}`;
    return [nameOf(ic), str(ic.spec?.controller), parameters, ageOf(ic, ctx)];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, col('Pod-Selector', 'string', 'Pods the policy applies to.'), AGE_COLUMN],
  print(np: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(np), formatLabelSelector(np.spec?.podSelector ?? {}), ageOf(np, ctx)];
  },
};
