// URL paths of the Kubernetes REST API, built in one place for every verb:
//   core:   /api/v1[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]
//   groups: /apis/{group}/{version}[/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]

export interface ResourcePathParts {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  /** Omitted or '' for cluster-scoped resources and for lists/watches across all namespaces. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** The percent-encoded path of a collection, an object, or an object's subresource. */
export function resourcePath(p: ResourcePathParts): string {
  let path = p.group ? `/apis/${seg(p.group)}/${seg(p.version)}` : `/api/${seg(p.version)}`;
  if (p.namespace) path += `/namespaces/${seg(p.namespace)}`;
  path += `/${seg(p.plural)}`;
  if (p.name !== undefined) {
    if (p.name === '') throw new Error(`a name is required to address one ${p.plural} object`);
    path += `/${seg(p.name)}`;
    if (p.subresource) path += `/${seg(p.subresource)}`;
  } else if (p.subresource) {
    throw new Error(`subresource ${p.subresource} needs an object name`);
  }
  return path;
}

function seg(s: string): string {
  return encodeURIComponent(s);
}
