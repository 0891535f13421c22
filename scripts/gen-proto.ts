// Generates src/apiserver/protobuf/descriptor.json: a compact protobufjs descriptor of the
// Kubernetes kinds that typed clients (kubectl 1.32 and later) send as protobuf request bodies,
// and of every message those kinds reach (ObjectMeta, the whole PodSpec tree, Quantity, ...).
//
// Input: checkouts of k8s.io/api and k8s.io/apimachinery at a release tag. Nothing upstream is
// committed; only the generated descriptor is. For example:
//
//   git -C <mirror of kubernetes/api> archive v0.32.9 | tar -x -C /tmp/k8s-api
//   git -C <mirror of kubernetes/apimachinery> archive v0.32.9 | tar -x -C /tmp/k8s-apimachinery
//   node scripts/gen-proto.ts /tmp/k8s-api /tmp/k8s-apimachinery \
//     --source 'k8s.io/api v0.32.9, k8s.io/apimachinery v0.32.9' [--out FILE]
//
// Every `generated.proto` below the given directories is parsed (wire names and field numbers).
// The Go structs beside each .proto (types.go and friends) supply what the protobuf schema does
// not say but the JSON form needs: the JSON name (json tag), `omitempty`/`omitzero`, whether the Go
// field is a pointer, and whether an embedded struct is inlined. That information is kept per field
// as `options.go`, a string of flags:
//   p  the Go field is a pointer: present on the wire means set, even when zero
//   k  no omitempty: a zero value is still written in JSON (null for nil pointers, slices, maps)
//   i  embedded struct inlined into its parent's JSON object
//   z  omitzero
// Fields are named by their JSON name (protobuf field names differ in a few places, e.g. `uID`).
// A message whose Go type is a named slice (ExtraValue) carries `options.go = "list"`.
// `source` records what it was generated from (--source). `kinds` maps "apiVersion/Kind" to the
// message's full name; `anyVersionKinds` lists kinds registered in every group version (DeleteOptions).

import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/** The kinds decoded from protobuf request bodies, and why each is here. */
const ROOTS: Array<[apiVersion: string, kind: string, message: string]> = [
  // kubectl create namespace|configmap|secret|service|serviceaccount|quota; debug (pods); drain (Eviction)
  ['v1', 'Namespace', 'k8s.io.api.core.v1.Namespace'],
  ['v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap'],
  ['v1', 'Secret', 'k8s.io.api.core.v1.Secret'],
  ['v1', 'Service', 'k8s.io.api.core.v1.Service'],
  ['v1', 'ServiceAccount', 'k8s.io.api.core.v1.ServiceAccount'],
  ['v1', 'ResourceQuota', 'k8s.io.api.core.v1.ResourceQuota'],
  ['v1', 'Pod', 'k8s.io.api.core.v1.Pod'],
  ['v1', 'Binding', 'k8s.io.api.core.v1.Binding'],
  // kubectl create deployment (the other workloads share the pod template and cost nothing more)
  ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
  ['apps/v1', 'StatefulSet', 'k8s.io.api.apps.v1.StatefulSet'],
  ['apps/v1', 'DaemonSet', 'k8s.io.api.apps.v1.DaemonSet'],
  ['apps/v1', 'ReplicaSet', 'k8s.io.api.apps.v1.ReplicaSet'],
  // kubectl create job|cronjob
  ['batch/v1', 'Job', 'k8s.io.api.batch.v1.Job'],
  ['batch/v1', 'CronJob', 'k8s.io.api.batch.v1.CronJob'],
  // kubectl create role|rolebinding|clusterrole|clusterrolebinding, auth reconcile
  ['rbac.authorization.k8s.io/v1', 'Role', 'k8s.io.api.rbac.v1.Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'k8s.io.api.rbac.v1.RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'k8s.io.api.rbac.v1.ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'k8s.io.api.rbac.v1.ClusterRoleBinding'],
  // kubectl create priorityclass
  ['scheduling.k8s.io/v1', 'PriorityClass', 'k8s.io.api.scheduling.v1.PriorityClass'],
  // kubectl create poddisruptionbudget; drain
  ['policy/v1', 'PodDisruptionBudget', 'k8s.io.api.policy.v1.PodDisruptionBudget'],
  ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
  // kubectl create token; auth whoami; token reviews from webhooks and tools
  ['authentication.k8s.io/v1', 'TokenRequest', 'k8s.io.api.authentication.v1.TokenRequest'],
  ['authentication.k8s.io/v1', 'TokenReview', 'k8s.io.api.authentication.v1.TokenReview'],
  ['authentication.k8s.io/v1', 'SelfSubjectReview', 'k8s.io.api.authentication.v1.SelfSubjectReview'],
  // kubectl auth can-i [--list]
  ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview'],
  ['authorization.k8s.io/v1', 'SelfSubjectRulesReview', 'k8s.io.api.authorization.v1.SelfSubjectRulesReview'],
  ['authorization.k8s.io/v1', 'SubjectAccessReview', 'k8s.io.api.authorization.v1.SubjectAccessReview'],
  ['authorization.k8s.io/v1', 'LocalSubjectAccessReview', 'k8s.io.api.authorization.v1.LocalSubjectAccessReview'],
  // kubectl create ingress
  ['networking.k8s.io/v1', 'Ingress', 'k8s.io.api.networking.v1.Ingress'],
  // kubectl autoscale; scale subresource
  ['autoscaling/v1', 'HorizontalPodAutoscaler', 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler'],
  ['autoscaling/v1', 'Scale', 'k8s.io.api.autoscaling.v1.Scale'],
  // kubectl certificate approve|deny
  ['certificates.k8s.io/v1', 'CertificateSigningRequest', 'k8s.io.api.certificates.v1.CertificateSigningRequest'],
];

/** Kinds registered in every group version: the body of a typed client's DELETE. */
const ANY_VERSION_ROOTS: Array<[kind: string, message: string]> = [
  ['DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
];

/** Messages the decoder converts by hand; their Go fields need no JSON information. */
const SPECIAL = new Set([
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
]);

/** The runtime.Unknown envelope, always in the descriptor. */
const ENVELOPE = 'k8s.io.apimachinery.pkg.runtime.Unknown';

// ---- Go struct reading ----

/** One Go struct field that has a protobuf tag. */
interface GoField {
  goName: string;
  goType: string;
  embedded: boolean;
  jsonName: string; // '' when inlined or absent, '-' when skipped
  omitempty: boolean;
  omitzero: boolean;
  protoNumber: number;
}

/** Go facts of one package: struct fields by protobuf number, and named slice types. */
interface GoPackage {
  structs: Map<string, Map<number, GoField>>;
  namedSlices: Set<string>;
}

function readGoPackage(dir: string): GoPackage {
  const pkg: GoPackage = { structs: new Map(), namedSlices: new Set() };
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.go') || name.endsWith('_test.go') || name.includes('generated')) continue;
    let current: Map<number, GoField> | undefined;
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const start = line.match(/^type (\w+) struct \{/);
      if (start) {
        current = new Map();
        pkg.structs.set(start[1], current);
        continue;
      }
      const slice = line.match(/^type (\w+) \[\][\w.]+\s*$/);
      if (slice && slice[1] !== undefined) pkg.namedSlices.add(slice[1]);
      if (/^\}/.test(line)) current = undefined;
      if (!current) continue;
      const field = parseGoField(line);
      if (field) current.set(field.protoNumber, field);
    }
  }
  return pkg;
}

function parseGoField(line: string): GoField | undefined {
  const m = line.match(/^\s*(\S+)(?:\s+(\S+))?\s+`([^`]*)`\s*(?:\/\/.*)?$/);
  if (!m || m[1] === undefined || m[3] === undefined) return undefined;
  const tag = m[3];
  const proto = tag.match(/protobuf:"([^"]*)"/)?.[1];
  if (!proto) return undefined;
  const protoNumber = Number(proto.split(',')[1]);
  const json = tag.match(/json:"([^"]*)"/)?.[1];
  const [jsonName = '', ...jsonOpts] = json === undefined ? [] : json.split(',');
  const embedded = m[2] === undefined;
  const goType = embedded ? m[1] : (m[2] as string);
  const goName = embedded ? goType.replace(/^\*/, '').replace(/^.*\./, '') : m[1];
  return {
    goName,
    goType,
    embedded,
    jsonName: json === undefined && !embedded ? goName : jsonName,
    omitempty: jsonOpts.includes('omitempty'),
    omitzero: jsonOpts.includes('omitzero'),
    protoNumber,
  };
}

// ---- protobuf reading ----

function findProtos(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findProtos(p, out);
    else if (e.name === 'generated.proto') out.push(p);
  }
  return out;
}

interface FieldJson {
  type: string;
  id: number;
  rule?: 'repeated';
  keyType?: string;
  options?: { go: string };
}
interface TypeJson {
  fields: Record<string, FieldJson>;
  options?: { go: string };
}
interface NamespaceJson {
  nested: Record<string, NamespaceJson | TypeJson>;
}

function main(argv: string[]): void {
  let out = new URL('../src/apiserver/protobuf/descriptor.json', import.meta.url).pathname;
  let source = '';
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? '';
    else if (argv[i] === '--source') source = argv[++i] ?? '';
    else dirs.push(argv[i] as string);
  }
  if (dirs.length === 0 || !out) {
    process.stderr.write('usage: node scripts/gen-proto.ts <k8s.io/api dir> <k8s.io/apimachinery dir> [--source LABEL] [--out FILE]\n');
    process.exit(2);
  }

  const root = new protobuf.Root();
  const goByPackage = new Map<string, GoPackage>();
  for (const dir of dirs) {
    for (const file of findProtos(dir)) {
      const parsed = protobuf.parse(fs.readFileSync(file, 'utf8'), root, { keepCase: true });
      if (parsed.package) goByPackage.set(parsed.package, readGoPackage(path.dirname(file)));
    }
  }
  root.resolveAll();

  // Walk everything reachable from the roots.
  const reachable = new Map<string, protobuf.Type>();
  const visit = (t: protobuf.Type): void => {
    const name = t.fullName.slice(1);
    if (reachable.has(name)) return;
    reachable.set(name, t);
    for (const f of t.fieldsArray) if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
  };
  const kinds: Record<string, string> = {};
  for (const [apiVersion, kind, message] of ROOTS) {
    visit(root.lookupType(message));
    kinds[`${apiVersion}/${kind}`] = message;
  }
  const anyVersionKinds: Record<string, string> = {};
  for (const [kind, message] of ANY_VERSION_ROOTS) {
    visit(root.lookupType(message));
    anyVersionKinds[kind] = message;
  }
  visit(root.lookupType(ENVELOPE));

  const tree: NamespaceJson = { nested: {} };
  for (const name of [...reachable.keys()].sort()) {
    const t = reachable.get(name) as protobuf.Type;
    const pkgName = name.slice(0, name.lastIndexOf('.'));
    const go = goByPackage.get(pkgName);
    const goStruct = SPECIAL.has(name) || name === ENVELOPE ? undefined : go?.structs.get(t.name);
    const typeJson: TypeJson = { fields: {} };
    if (go?.namedSlices.has(t.name)) typeJson.options = { go: 'list' };
    else if (!goStruct && !SPECIAL.has(name) && name !== ENVELOPE && !name.endsWith('.TypeMeta')) {
      process.stderr.write(`warning: no Go struct for ${name}; JSON names fall back to protobuf names\n`);
    }
    for (const f of [...t.fieldsArray].sort((a, b) => a.id - b.id)) {
      const gf = goStruct?.get(f.id);
      const json: FieldJson = { type: typeRef(f, pkgName), id: f.id };
      if (f instanceof protobuf.MapField) json.keyType = f.keyType;
      else if (f.repeated) json.rule = 'repeated';
      let jsonName = f.name;
      if (gf) {
        const inline = gf.jsonName === '' && gf.embedded;
        if (!inline && gf.jsonName !== '' && gf.jsonName !== '-') jsonName = gf.jsonName;
        if (jsonName !== f.name) process.stderr.write(`note: ${name}.${f.name} is "${jsonName}" in JSON\n`);
        const flags = (gf.goType.startsWith('*') ? 'p' : '') + (gf.omitempty ? '' : 'k') + (inline ? 'i' : '') + (gf.omitzero ? 'z' : '');
        if (flags) json.options = { go: flags };
      } else if (goStruct) {
        process.stderr.write(`warning: ${name}.${f.name} (${f.id}) has no Go field\n`);
      }
      typeJson.fields[jsonName] = json;
    }
    insert(tree, name.split('.'), typeJson);
  }

  const descriptor = { ...(source ? { source } : {}), kinds, anyVersionKinds, nested: tree.nested };
  fs.writeFileSync(out, JSON.stringify(descriptor) + '\n');
  process.stderr.write(`wrote ${reachable.size} messages, ${Object.keys(kinds).length} kinds to ${out}\n`);
}

/** The field's type as written in the descriptor: short within the package, absolute otherwise. */
function typeRef(f: protobuf.Field, pkgName: string): string {
  if (!f.resolvedType) return f.type;
  const full = f.resolvedType.fullName.slice(1);
  const own = full.slice(0, full.lastIndexOf('.'));
  return own === pkgName ? full.slice(own.length + 1) : '.' + full;
}

function insert(tree: NamespaceJson, parts: string[], t: TypeJson): void {
  let ns = tree;
  for (const part of parts.slice(0, -1)) {
    ns.nested[part] ??= { nested: {} };
    ns = ns.nested[part] as NamespaceJson;
  }
  ns.nested[parts[parts.length - 1] as string] = t;
}

main(process.argv.slice(2));
