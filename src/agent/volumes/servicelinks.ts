// Service-link environment variables, as the kubelet derives them from Services (docker-links
// style): FOO_SERVICE_HOST, FOO_SERVICE_PORT, FOO_SERVICE_PORT_<NAME>, FOO_PORT,
// FOO_PORT_80_TCP, FOO_PORT_80_TCP_PROTO/_PORT/_ADDR. Pure.

import type { KubeObject } from '../../api/types.ts';

function envName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase();
}

function hasClusterIP(svc: KubeObject): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The variables for one service, in upstream's order. */
export function serviceEnv(svc: KubeObject): [string, string][] {
  if (!hasClusterIP(svc)) return [];
  const ports = (svc.spec.ports ?? []) as { name?: string; port: number; protocol?: string }[];
  if (ports.length === 0) return [];
  const prefix = envName(String(svc.metadata.name));
  const ip: string = svc.spec.clusterIP;
  const out: [string, string][] = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(ports[0].port)],
  ];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = p.protocol || 'TCP';
    const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto.toLowerCase()], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/**
 * Which services a pod gets variables for: `kubernetes` from `default` always, and with
 * enableServiceLinks every service of the pod's namespace (one of the same name wins there).
 * Returns name → value, services in name order.
 */
export function serviceLinkEnv(podNamespace: string, enableServiceLinks: boolean, nsServices: KubeObject[], defaultServices: KubeObject[]): Map<string, string> {
  const chosen = new Map<string, KubeObject>();
  const master = defaultServices.find((s) => s.metadata.name === 'kubernetes' && hasClusterIP(s));
  if (master) chosen.set('kubernetes', master);
  if (enableServiceLinks) {
    for (const s of nsServices) {
      if (!hasClusterIP(s)) continue;
      if (podNamespace === 'default' && s.metadata.name === 'kubernetes') continue;
      chosen.set(String(s.metadata.name), s);
    }
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) for (const [k, v] of serviceEnv(chosen.get(name)!)) out.set(k, v);
  return out;
}
