// Table printers for cluster policy and control-plane kinds: Lease, RoleBinding,
// ClusterRoleBinding, PodDisruptionBudget, PriorityClass, RuntimeClass, admission webhook
// configurations and CertificateSigningRequest. (Role and ClusterRole have no printer
// upstream; they get the default Name / Created At table.)

import type { KubeObject } from '../../api/types.ts';
import { humanDuration } from './duration.ts';
import { AGE_COLUMN, NAME_COLUMN, ageOf, col, int, nameOf, str, type Cell, type PrintContext, type Printer } from './format.ts';

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, col('Holder', 'string', 'Identity of the current holder of the lease.'), AGE_COLUMN],
  print(lease: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(lease), str(lease.spec?.holderIdentity), ageOf(lease, ctx)];
  },
};

/** Users, groups and `namespace/name` service accounts among RBAC subjects. */
function subjectsStrings(subjects: unknown): [string[], string[], string[]] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of Array.isArray(subjects) ? subjects : []) {
    if (s?.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s?.kind === 'User') users.push(str(s.name));
    else if (s?.kind === 'Group') groups.push(str(s.name));
  }
  return [users, groups, sas];
}

function bindingPrinter(what: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      col('Role', 'string', `Role the ${what} grants.`),
      AGE_COLUMN,
      col('Users', 'string', `Users in the ${what}.`, { priority: 1 }),
      col('Groups', 'string', `Groups in the ${what}.`, { priority: 1 }),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}.`, { priority: 1 }),
    ],
    print(b: KubeObject, ctx: PrintContext): Cell[] {
      const [users, groups, sas] = subjectsStrings(b.subjects);
      return [
        nameOf(b),
        `${str(b.roleRef?.kind)}/${str(b.roleRef?.name)}`,
        ageOf(b, ctx),
        users.join(', '),
        groups.join(', '),
        sas.join(', '),
      ];
    },
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');

/** An IntOrString as text, 'N/A' when unset. */
function intOrStringOrNA(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  return 'N/A';
}

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Min Available', 'string', 'Pods that must stay available.'),
    col('Max Unavailable', 'string', 'Pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Pod disruptions currently allowed.'),
    AGE_COLUMN,
  ],
  print(pdb: KubeObject, ctx: PrintContext): Cell[] {
    return [
      nameOf(pdb),
      intOrStringOrNA(pdb.spec?.minAvailable),
      intOrStringOrNA(pdb.spec?.maxUnavailable),
      int(pdb.status?.disruptionsAllowed),
      ageOf(pdb, ctx),
    ];
  },
};

export const priorityClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Value', 'integer', 'Priority of pods of this class.'),
    col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods.'),
  ],
  print(pc: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(pc), int(pc.value), pc.globalDefault === true, ageOf(pc, ctx), str(pc.preemptionPolicy)];
  },
};

export const runtimeClassPrinter: Printer = {
  columns: [NAME_COLUMN, col('Handler', 'string', 'Runtime handler that runs pods of the class.'), AGE_COLUMN],
  print(rc: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(rc), str(rc.handler), ageOf(rc, ctx)];
  },
};

export const webhookConfigurationPrinter: Printer = {
  columns: [NAME_COLUMN, col('Webhooks', 'integer', 'Number of webhooks in the configuration.'), AGE_COLUMN],
  print(wc: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(wc), Array.isArray(wc.webhooks) ? wc.webhooks.length : 0, ageOf(wc, ctx)];
  },
};

/** CONDITION of a CSR: Denied / Approved / Pending, then `,Failed` and `,Issued`. */
function csrCondition(csr: KubeObject): string {
  const types = new Set(((csr.status?.conditions ?? []) as any[]).map((c) => c?.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (typeof csr.status?.certificate === 'string' && csr.status.certificate.length > 0) s += ',Issued';
  return s;
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'string', 'Signer asked to sign the certificate.'),
    col('Requestor', 'string', 'User that created the request.'),
    col('RequestedDuration', 'string', 'Validity period asked for.'),
    col('Condition', 'string', 'Approval and issuance state of the request.'),
  ],
  print(csr: KubeObject, ctx: PrintContext): Cell[] {
    const seconds = csr.spec?.expirationSeconds;
    return [
      nameOf(csr),
      ageOf(csr, ctx),
      csr.spec?.signerName ? csr.spec.signerName : '<none>',
      str(csr.spec?.username),
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition(csr),
    ];
  },
};
