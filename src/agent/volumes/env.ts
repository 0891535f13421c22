// A container's environment, resolved as the kubelet's makeEnvironmentVariables does:
// envFrom first (configMapRef/secretRef with prefix; keys that are not valid variable names are
// skipped and reported), then env in order (value with $(VAR) expansion over the variables so far
// and the service variables; fieldRef; resourceFieldRef; configMapKeyRef; secretKeyRef), then
// the service-link variables that the container did not set itself.

import type { KubeObject } from '../../api/types.ts';
import { extractFieldPath, extractResourceValue, findContainer } from './fieldpath.ts';
import type { Allocatable } from './fieldpath.ts';
import { configMapFiles, secretFiles } from './payload.ts';
import { serviceLinkEnv } from './servicelinks.ts';
import { PodInputError } from './types.ts';
import type { EnvResolver, PodInputSource, PodRuntimeFacts } from './types.ts';

export interface PodEnvResolverOptions {
  source: PodInputSource;
  /** Node allocatable: the value of resourceFieldRef limits the container does not set. */
  allocatable?: Allocatable;
  /** Told about envFrom keys skipped as invalid (the kubelet's InvalidEnvironmentVariableNames event). */
  onInvalidKeys?: (pod: KubeObject, message: string) => void;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Expand $(VAR) references (upstream's expansion.Expand): `$$` is a literal `$`, a reference to
 * an unknown variable and an unterminated `$(` stay as written.
 */
export function expandEnv(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}

const configErr = (message: string) => new PodInputError('CreateContainerConfigError', message);

export class PodEnvResolver implements EnvResolver {
  private readonly source: PodInputSource;
  private readonly allocatable: Allocatable;
  private readonly onInvalidKeys: (pod: KubeObject, message: string) => void;

  constructor(opts: PodEnvResolverOptions) {
    this.source = opts.source;
    this.allocatable = opts.allocatable ?? {};
    this.onInvalidKeys = opts.onInvalidKeys ?? (() => {});
  }

  async resolve(pod: KubeObject, container: Record<string, any>, facts: PodRuntimeFacts): Promise<string[]> {
    const ns = String(pod.metadata.namespace ?? 'default');
    const serviceEnv = await this.serviceEnv(pod, ns);
    const env = new Map<string, string>();
    const configMaps = new Map<string, Map<string, Buffer> | undefined>();
    const secrets = new Map<string, Map<string, Buffer> | undefined>();
    const getConfigMap = async (name: string) => {
      if (!configMaps.has(name)) {
        const cm = await this.source.getConfigMap(ns, name);
        configMaps.set(name, cm ? configMapDataOnly(cm) : undefined);
      }
      return configMaps.get(name);
    };
    const getSecret = async (name: string) => {
      if (!secrets.has(name)) {
        const s = await this.source.getSecret(ns, name);
        secrets.set(name, s ? secretFiles(s) : undefined);
      }
      return secrets.get(name);
    };

    for (const from of (container.envFrom ?? []) as Record<string, any>[]) {
      const prefix: string = from.prefix ?? '';
      const ref = from.configMapRef ?? from.secretRef;
      if (!ref) continue;
      const isCm = !!from.configMapRef;
      const data = isCm ? await getConfigMap(ref.name) : await getSecret(ref.name);
      if (!data) {
        if (ref.optional === true) continue;
        throw configErr(`${isCm ? 'configmap' : 'secret'} "${ref.name}" not found`);
      }
      const invalid: string[] = [];
      for (const [key, value] of data) {
        const name = prefix + key;
        if (!ENV_NAME.test(name)) {
          invalid.push(name);
          continue;
        }
        env.set(name, value.toString('utf8'));
      }
      if (invalid.length) {
        invalid.sort();
        this.onInvalidKeys(pod, `Keys [${invalid.join(', ')}] from the EnvFrom ${isCm ? 'configMap' : 'secret'} ${ns}/${ref.name} were skipped since they are considered invalid environment variable names.`);
      }
    }

    const lookup = (name: string) => env.get(name) ?? serviceEnv.get(name);
    for (const e of (container.env ?? []) as Record<string, any>[]) {
      let value: string;
      if (e.value !== undefined && e.value !== '') value = expandEnv(String(e.value), lookup);
      else if (e.valueFrom) {
        const v = await this.valueFrom(pod, container, e.valueFrom, facts, getConfigMap, getSecret);
        if (v === undefined) continue; // optional source or key missing: not set at all
        value = v;
      } else value = '';
      env.set(e.name, value);
    }

    const out = [...env].map(([k, v]) => `${k}=${v}`);
    for (const [k, v] of serviceEnv) if (!env.has(k)) out.push(`${k}=${v}`);
    return out;
  }

  private async serviceEnv(pod: KubeObject, ns: string): Promise<Map<string, string>> {
    const enable = pod.spec?.enableServiceLinks !== false;
    const defaults = await this.source.listServices('default');
    const own = enable && ns !== 'default' ? await this.source.listServices(ns) : enable ? defaults : [];
    return serviceLinkEnv(ns, enable, own, defaults);
  }

  private async valueFrom(
    pod: KubeObject,
    container: Record<string, any>,
    from: Record<string, any>,
    facts: PodRuntimeFacts,
    getConfigMap: (name: string) => Promise<Map<string, Buffer> | undefined>,
    getSecret: (name: string) => Promise<Map<string, Buffer> | undefined>,
  ): Promise<string | undefined> {
    const ns = String(pod.metadata.namespace ?? 'default');
    if (from.fieldRef) {
      try {
        return podFieldValue(pod, from.fieldRef.fieldPath, facts);
      } catch (e) {
        throw configErr((e as Error).message);
      }
    }
    if (from.resourceFieldRef) {
      const ref = from.resourceFieldRef;
      const target = ref.containerName ? findContainer(pod, ref.containerName) : container;
      if (!target) throw configErr(`container ${JSON.stringify(ref.containerName)} not found in pod`);
      try {
        return extractResourceValue(target, ref.resource, ref.divisor, this.allocatable);
      } catch (e) {
        throw configErr((e as Error).message);
      }
    }
    const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
    if (keyRef) {
      const isCm = !!from.configMapKeyRef;
      const optional = keyRef.optional === true;
      const data = isCm ? await getConfigMap(keyRef.name) : await getSecret(keyRef.name);
      if (!data) {
        if (optional) return undefined;
        throw configErr(`${isCm ? 'configmap' : 'secret'} "${keyRef.name}" not found`);
      }
      const v = data.get(keyRef.key);
      if (v === undefined) {
        if (optional) return undefined;
        throw configErr(`couldn't find key ${keyRef.key} in ${isCm ? 'ConfigMap' : 'Secret'} ${ns}/${keyRef.name}`);
      }
      return v.toString('utf8');
    }
    return '';
  }
}

/** ConfigMap keys usable as env: data only, as upstream (binaryData is not). */
function configMapDataOnly(cm: KubeObject): Map<string, Buffer> {
  return configMapFiles({ ...cm, binaryData: undefined });
}

/** A fieldRef for env: the spec/status paths the kubelet fills from runtime facts, else metadata. */
export function podFieldValue(pod: KubeObject, fieldPath: string, facts: PodRuntimeFacts): string {
  switch (fieldPath) {
    case 'spec.nodeName':
      return pod.spec?.nodeName || facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return facts.hostIP;
    case 'status.hostIPs':
      return facts.hostIP ? [facts.hostIP].join(',') : '';
    case 'status.podIP':
      return facts.podIP;
    case 'status.podIPs':
      return (facts.podIPs.length ? facts.podIPs : facts.podIP ? [facts.podIP] : []).join(',');
  }
  return extractFieldPath(pod, fieldPath);
}
