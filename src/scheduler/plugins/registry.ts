// The default plugins: a name → factory registry, upstream's default profile (the multi-point
// order every extension point inherits, and the score weights), and defaultPlugins(deps) that
// builds the instances. DefaultPreemption belongs to the framework; its slot in the order is
// kept so a framework can place it.

import type { KubeObject } from '../../api/types.ts';
import type { LabelSelector } from '../../api/selectors.ts';
import type { Plugin, Snapshot } from '../framework/types.ts';
import { newDefaultBinder, DEFAULT_BINDER } from './defaultbinder.ts';
import { newImageLocality, IMAGE_LOCALITY } from './imagelocality.ts';
import { newInterPodAffinity, INTER_POD_AFFINITY } from './interpodaffinity.ts';
import type { InterPodAffinityArgs } from './interpodaffinity.ts';
import { newNodeResourcesBalancedAllocation, NODE_RESOURCES_BALANCED_ALLOCATION } from './balancedallocation.ts';
import type { NodeResourcesBalancedAllocationArgs } from './balancedallocation.ts';
import { newNodeAffinity, NODE_AFFINITY } from './nodeaffinity.ts';
import type { NodeAffinityArgs } from './nodeaffinity.ts';
import { newNodeName, NODE_NAME } from './nodename.ts';
import { newNodePorts, NODE_PORTS } from './nodeports.ts';
import { newNodeResourcesFit, NODE_RESOURCES_FIT } from './noderesourcesfit.ts';
import type { NodeResourcesFitArgs } from './noderesourcesfit.ts';
import { newNodeUnschedulable, NODE_UNSCHEDULABLE } from './nodeunschedulable.ts';
import { newPodTopologySpread, POD_TOPOLOGY_SPREAD } from './podtopologyspread.ts';
import type { PodTopologySpreadArgs } from './podtopologyspread.ts';
import { newPrioritySort, PRIORITY_SORT } from './prioritysort.ts';
import { newSchedulingGates, SCHEDULING_GATES } from './schedulinggates.ts';
import { newTaintToleration, TAINT_TOLERATION } from './tainttoleration.ts';
import { newVolumeBinding, VOLUME_BINDING } from './volumebinding.ts';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';

/** What the plugins need from the scheduler around them (upstream's framework Handle). */
export interface PluginDeps {
  /** The snapshot of the cycle in progress; scoring plugins that look beyond the feasible nodes
   *  (ImageLocality, InterPodAffinity, PodTopologySpread) read it in PreScore/Score. */
  snapshot(): Snapshot;
  /** Binds through the pods/binding subresource (DefaultBinder). */
  bind(pod: KubeObject, nodeName: string): Promise<void>;
  /** Selectors of the Services/RCs/RSs/StatefulSets selecting or owning a pod (PodTopologySpread's
   *  default constraints; see makeSelectorsFor). Without it pods get no default constraints. */
  selectorsFor?(pod: KubeObject): readonly LabelSelector[];
  /** PersistentVolumeClaim lookup (VolumeBinding). Without it, pods with claims stay pending. */
  getPVC?(namespace: string, name: string): KubeObject | undefined;
}

/** pluginConfig args by plugin name, as in KubeSchedulerConfiguration. */
export interface DefaultPluginArgs {
  NodeAffinity?: NodeAffinityArgs;
  NodeResourcesFit?: NodeResourcesFitArgs;
  NodeResourcesBalancedAllocation?: NodeResourcesBalancedAllocationArgs;
  PodTopologySpread?: PodTopologySpreadArgs;
  InterPodAffinity?: InterPodAffinityArgs;
}

export type PluginFactory = (args: any, deps: PluginDeps) => Plugin;

/** Every default plugin by name (DefaultPreemption is registered by the framework). */
export const REGISTRY: Readonly<Record<string, PluginFactory>> = {
  [PRIORITY_SORT]: () => newPrioritySort(),
  [SCHEDULING_GATES]: () => newSchedulingGates(),
  [NODE_UNSCHEDULABLE]: () => newNodeUnschedulable(),
  [NODE_NAME]: () => newNodeName(),
  [TAINT_TOLERATION]: () => newTaintToleration(),
  [NODE_AFFINITY]: (args) => newNodeAffinity(args ?? {}),
  [NODE_PORTS]: () => newNodePorts(),
  [NODE_RESOURCES_FIT]: (args) => newNodeResourcesFit(args ?? {}),
  [VOLUME_BINDING]: (_args, deps) => newVolumeBinding(deps.getPVC ? { getPVC: deps.getPVC } : {}),
  [POD_TOPOLOGY_SPREAD]: (args, deps) => newPodTopologySpread(args ?? {}, deps),
  [INTER_POD_AFFINITY]: (args, deps) => newInterPodAffinity(args ?? {}, deps),
  [NODE_RESOURCES_BALANCED_ALLOCATION]: (args) => newNodeResourcesBalancedAllocation(args ?? {}),
  [IMAGE_LOCALITY]: (_args, deps) => newImageLocality(deps),
  [DEFAULT_BINDER]: (_args, deps) => newDefaultBinder(deps),
};

/** Upstream's default profile, multi-point order: each extension point runs the plugins that
 *  implement it in this order. */
export const DEFAULT_PLUGIN_ORDER: readonly string[] = [
  SCHEDULING_GATES,
  PRIORITY_SORT,
  NODE_UNSCHEDULABLE,
  NODE_NAME,
  TAINT_TOLERATION,
  NODE_AFFINITY,
  NODE_PORTS,
  NODE_RESOURCES_FIT,
  VOLUME_BINDING,
  POD_TOPOLOGY_SPREAD,
  INTER_POD_AFFINITY,
  DEFAULT_PREEMPTION,
  NODE_RESOURCES_BALANCED_ALLOCATION,
  IMAGE_LOCALITY,
  DEFAULT_BINDER,
];

/** Score weights of the default profile. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = {
  [TAINT_TOLERATION]: 3,
  [NODE_AFFINITY]: 2,
  [POD_TOPOLOGY_SPREAD]: 2,
  [INTER_POD_AFFINITY]: 2,
  [NODE_RESOURCES_FIT]: 1,
  [NODE_RESOURCES_BALANCED_ALLOCATION]: 1,
  [IMAGE_LOCALITY]: 1,
};

/** The default profile per extension point (what DEFAULT_PLUGIN_ORDER yields with these plugins). */
export const DEFAULT_PLUGINS_BY_POINT = {
  preEnqueue: [SCHEDULING_GATES],
  queueSort: [PRIORITY_SORT],
  preFilter: [NODE_NAME, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT, VOLUME_BINDING, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY],
  filter: [NODE_UNSCHEDULABLE, NODE_NAME, TAINT_TOLERATION, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT, VOLUME_BINDING, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY],
  postFilter: [DEFAULT_PREEMPTION],
  preScore: [TAINT_TOLERATION, NODE_AFFINITY, NODE_RESOURCES_FIT, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY, NODE_RESOURCES_BALANCED_ALLOCATION, IMAGE_LOCALITY],
  score: [TAINT_TOLERATION, NODE_AFFINITY, NODE_RESOURCES_FIT, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY, NODE_RESOURCES_BALANCED_ALLOCATION, IMAGE_LOCALITY].map((name) => ({
    name,
    weight: DEFAULT_SCORE_WEIGHTS[name]!,
  })),
  reserve: [VOLUME_BINDING],
  permit: [] as string[],
  preBind: [VOLUME_BINDING],
  bind: [DEFAULT_BINDER],
  postBind: [] as string[],
} as const;

/** Instances of the default plugins in DEFAULT_PLUGIN_ORDER (without DefaultPreemption). */
export function defaultPlugins(deps: PluginDeps, args: DefaultPluginArgs = {}): Plugin[] {
  const byName = args as Record<string, unknown>;
  return DEFAULT_PLUGIN_ORDER.filter((n) => n !== DEFAULT_PREEMPTION).map((name) => REGISTRY[name]!(byName[name], deps));
}

/** defaultPlugins() with each scoring plugin's default weight, in the shape a profile takes. */
export function defaultPluginEntries(deps: PluginDeps, args: DefaultPluginArgs = {}): { plugin: Plugin; weight?: number }[] {
  return defaultPlugins(deps, args).map((plugin) => {
    const weight = DEFAULT_SCORE_WEIGHTS[plugin.name];
    return weight === undefined ? { plugin } : { plugin, weight };
  });
}
