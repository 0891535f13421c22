// An in-memory PodInputSource for tests: plain objects in maps, tokens minted by a counter,
// and a record of the TokenRequests made.

import type { KubeObject } from '../../api/types.ts';
import type { PodInputSource } from './types.ts';

export class MemoryPodInputSource implements PodInputSource {
  readonly configMaps = new Map<string, KubeObject>();
  readonly secrets = new Map<string, KubeObject>();
  readonly services: KubeObject[] = [];
  readonly tokenRequests: { namespace: string; serviceAccount: string; audiences?: string[]; expirationSeconds: number; pod: { name: string; uid: string } }[] = [];
  /** now() for token expiry; tests may replace it. */
  now: () => number = () => Date.now();

  addConfigMap(namespace: string, name: string, data: Record<string, string>, binaryData?: Record<string, string>): void {
    this.configMaps.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data, ...(binaryData ? { binaryData } : {}) });
  }

  /** `data` in clear text; stored base64 as the API does. */
  addSecret(namespace: string, name: string, data: Record<string, string>): void {
    const enc = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    this.secrets.set(`${namespace}/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, data: enc });
  }

  addService(namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]): void {
    this.services.push({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { clusterIP, ports } });
  }

  async getConfigMap(namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async getSecret(namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.secrets.get(`${namespace}/${name}`);
  }

  async listServices(namespace: string): Promise<KubeObject[]> {
    return this.services.filter((s) => s.metadata.namespace === namespace);
  }

  async requestServiceAccountToken(namespace: string, serviceAccount: string, opts: { audiences?: string[]; expirationSeconds: number; pod: { name: string; uid: string } }): Promise<{ token: string; expirationTimestamp: string }> {
    this.tokenRequests.push({ namespace, serviceAccount, ...opts });
    const n = this.tokenRequests.length;
    return { token: `token-${n}-${namespace}-${serviceAccount}`, expirationTimestamp: new Date(this.now() + opts.expirationSeconds * 1000).toISOString() };
  }
}
