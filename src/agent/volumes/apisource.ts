// Pod inputs read straight from the API: ConfigMaps and Secrets by name (404 → undefined),
// Services of a namespace (from a Service informer's cache once it has synced), and bound service-account tokens through the TokenRequest
// subresource (POST serviceaccounts/<name>/token, bound to the pod).

import type { KubeObject } from '../../api/types.ts';
import type { ApiClient } from '../../client/client.ts';
import { isNotFound } from '../../client/errors.ts';
import type { Lister } from '../../client/cache.ts';
import type { SyncedInformer } from '../../client/informer.ts';
import type { PodInputSource } from './types.ts';

export interface ApiPodInputSourceOptions {
  client: ApiClient;
  /**
   * A Service informer (the kubelet keeps one for the service-link environment): once synced,
   * listServices answers from its cache instead of a LIST on every container start.
   */
  services?: Pick<SyncedInformer, 'hasSynced'> & { lister: Pick<Lister, 'list'> };
}

export class ApiPodInputSource implements PodInputSource {
  private readonly client: ApiClient;
  private readonly services: ApiPodInputSourceOptions['services'];

  constructor(opts: ApiPodInputSourceOptions) {
    this.client = opts.client;
    this.services = opts.services;
  }

  getConfigMap(namespace: string, name: string): Promise<KubeObject | undefined> {
    return orUndefined(this.client.resource('', 'v1', 'configmaps').get(namespace, name));
  }

  getSecret(namespace: string, name: string): Promise<KubeObject | undefined> {
    return orUndefined(this.client.resource('', 'v1', 'secrets').get(namespace, name));
  }

  async listServices(namespace: string): Promise<KubeObject[]> {
    if (this.services?.hasSynced()) return this.services.lister.list(namespace);
    return (await this.client.resource('', 'v1', 'services').listAll(namespace)).items;
  }

  async requestServiceAccountToken(
    namespace: string,
    serviceAccount: string,
    opts: { audiences?: string[]; expirationSeconds: number; pod: { name: string; uid: string } },
  ): Promise<{ token: string; expirationTimestamp: string }> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name: serviceAccount, namespace },
      spec: {
        audiences: opts.audiences ?? [],
        expirationSeconds: opts.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: opts.pod.name, uid: opts.pod.uid },
      },
    };
    const res = await this.client.resource('', 'v1', 'serviceaccounts').createSubresource<KubeObject>(namespace, serviceAccount, 'token', body);
    const token = res?.status?.token;
    if (typeof token !== 'string' || !token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
    return { token, expirationTimestamp: String(res.status.expirationTimestamp ?? '') };
  }
}

async function orUndefined(p: Promise<KubeObject>): Promise<KubeObject | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
