// Table printers for the apps workloads and the core ReplicationController: Deployment,
// ReplicaSet, ReplicationController, StatefulSet, DaemonSet and ControllerRevision, with
// upstream's columns (wide columns list template containers, images and the selector).

import type { KubeObject } from '../../api/types.ts';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  ageOf,
  col,
  containerCells,
  formatLabelSelector,
  formatLabels,
  int,
  labelSelectorString,
  nameOf,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

/** spec.replicas, which defaults to 1 in every apps/v1 and core/v1 workload. */
function desiredReplicas(obj: KubeObject): number {
  return typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
}

function selectorColumn(description: string) {
  return col('Selector', 'string', description, { priority: 1 });
}

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready pods out of desired replicas.'),
    col('Up-to-date', 'string', 'Pods that run the latest pod template.'),
    col('Available', 'string', 'Pods ready for at least minReadySeconds.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('Label selector for the pods of the deployment.'),
  ],
  print(obj: KubeObject, ctx: PrintContext): Cell[] {
    const st = obj.status ?? {};
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    const selector = labelSelectorString(obj.spec?.selector) ?? '<invalid>';
    return [
      nameOf(obj),
      `${int(st.readyReplicas)}/${desiredReplicas(obj)}`,
      int(st.updatedReplicas),
      int(st.availableReplicas),
      ageOf(obj, ctx),
      names,
      images,
      selector,
    ];
  },
};

/** ReplicaSets and ReplicationControllers print alike; only the selector's shape differs. */
function replicaPrinter(selectorDescription: string, formatSelector: typeof formatLabelSelector | typeof formatLabels): Printer {
  return {
    columns: [
      NAME_COLUMN,
      col('Desired', 'integer', 'Desired number of pods.'),
      col('Current', 'integer', 'Most recently observed number of pods.'),
      col('Ready', 'integer', 'Pods that are ready.'),
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn(selectorDescription),
    ],
    print(obj: KubeObject, ctx: PrintContext): Cell[] {
      const st = obj.status ?? {};
      const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
      return [
        nameOf(obj),
        desiredReplicas(obj),
        int(st.replicas),
        int(st.readyReplicas),
        ageOf(obj, ctx),
        names,
        images,
        formatSelector(obj.spec?.selector),
      ];
    },
  };
}

export const replicaSetPrinter: Printer = replicaPrinter('Label selector for the pods of the replica set.', formatLabelSelector);

export const replicationControllerPrinter: Printer = replicaPrinter('Label query over the pods of the controller.', formatLabels);

export const statefulSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready pods out of desired replicas.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
  ],
  print(obj: KubeObject, ctx: PrintContext): Cell[] {
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    return [nameOf(obj), `${int(obj.status?.readyReplicas)}/${desiredReplicas(obj)}`, ageOf(obj, ctx), names, images];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    col('Current', 'integer', 'Nodes that run at least one daemon pod and should.'),
    col('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    col('Up-to-date', 'integer', 'Nodes that run the updated daemon pod.'),
    col('Available', 'integer', 'Nodes whose daemon pod is available.'),
    col('Node Selector', 'string', 'Node selector of the pod template.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    selectorColumn('Label query over the pods of the daemon set.'),
  ],
  print(obj: KubeObject, ctx: PrintContext): Cell[] {
    const st = obj.status ?? {};
    const [names, images] = containerCells(obj.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(obj.spec?.template?.spec?.nodeSelector),
      ageOf(obj, ctx),
      names,
      images,
      formatLabelSelector(obj.spec?.selector),
    ];
  },
};

/** `kind.group/name` of the controlling owner (`statefulset.apps/web`), or `<none>`. */
function controllerName(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = ref.kind ?? '';
  if (kind === '' && group === '') return ref.name;
  const groupKind = group ? `${kind}.${group}` : kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'The object that controls this revision.'),
    col('Revision', 'string', 'Revision number of the state this object holds.'),
    AGE_COLUMN,
  ],
  print(obj: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(obj), controllerName(obj), int(obj.revision), ageOf(obj, ctx)];
  },
};

/** The scale subresource (`kubectl get deploy/web --subresource=scale`); its Name column has
 *  no `name` format upstream. */
export const scalePrinter: Printer = {
  columns: [
    col('Name', 'string', 'Name of the scaled object.'),
    col('Desired', 'integer', 'Desired number of replicas.'),
    col('Available', 'integer', 'Observed number of replicas.'),
    AGE_COLUMN,
  ],
  print(obj: KubeObject, ctx: PrintContext): Cell[] {
    return [nameOf(obj), int(obj.spec?.replicas), int(obj.status?.replicas), ageOf(obj, ctx)];
  },
};
