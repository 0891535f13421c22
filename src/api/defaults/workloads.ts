// Defaulting of workload controllers: apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet,
// core/v1 ReplicationController and PodTemplate, batch/v1 Job and CronJob (upstream's
// SetDefaults_* for each, plus the PodSpec defaults of every embedded pod template).

import type { KubeObject } from '../types.ts';
import { defaultPodTemplateSpec, defaultPVCSpec } from './pod.ts';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const unset = (v: unknown): boolean => v === undefined || v === null;

function spec(obj: KubeObject): Obj {
  if (!isObj(obj.spec)) obj.spec = {};
  return obj.spec;
}

export function defaultDeployment(obj: KubeObject): void {
  const s = spec(obj);
  if (unset(s.replicas)) s.replicas = 1;
  if (!isObj(s.strategy)) s.strategy = {};
  const st = s.strategy;
  if (!st.type) st.type = 'RollingUpdate';
  if (st.type === 'RollingUpdate') {
    if (!isObj(st.rollingUpdate)) st.rollingUpdate = {};
    if (unset(st.rollingUpdate.maxUnavailable)) st.rollingUpdate.maxUnavailable = '25%';
    if (unset(st.rollingUpdate.maxSurge)) st.rollingUpdate.maxSurge = '25%';
  }
  if (unset(s.revisionHistoryLimit)) s.revisionHistoryLimit = 10;
  if (unset(s.progressDeadlineSeconds)) s.progressDeadlineSeconds = 600;
  defaultPodTemplateSpec(s.template);
}

export function defaultReplicaSet(obj: KubeObject): void {
  const s = spec(obj);
  if (unset(s.replicas)) s.replicas = 1;
  defaultPodTemplateSpec(s.template);
}

export function defaultStatefulSet(obj: KubeObject): void {
  const s = spec(obj);
  if (!s.podManagementPolicy) s.podManagementPolicy = 'OrderedReady';
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  const us = s.updateStrategy;
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate) && unset(us.rollingUpdate.partition)) us.rollingUpdate.partition = 0;
  if (!isObj(s.persistentVolumeClaimRetentionPolicy)) s.persistentVolumeClaimRetentionPolicy = {};
  const rp = s.persistentVolumeClaimRetentionPolicy;
  if (!rp.whenDeleted) rp.whenDeleted = 'Retain';
  if (!rp.whenScaled) rp.whenScaled = 'Retain';
  if (unset(s.replicas)) s.replicas = 1;
  if (unset(s.revisionHistoryLimit)) s.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(s.template);
  if (Array.isArray(s.volumeClaimTemplates)) {
    for (const pvc of s.volumeClaimTemplates) {
      if (!isObj(pvc)) continue;
      if (!isObj(pvc.spec)) pvc.spec = {};
      defaultPVCSpec(pvc.spec);
      if (!isObj(pvc.status)) pvc.status = {};
      if (!pvc.status.phase) pvc.status.phase = 'Pending';
    }
  }
}

export function defaultDaemonSet(obj: KubeObject): void {
  const s = spec(obj);
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  const us = s.updateStrategy;
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
    if (unset(us.rollingUpdate.maxUnavailable)) us.rollingUpdate.maxUnavailable = 1;
    if (unset(us.rollingUpdate.maxSurge)) us.rollingUpdate.maxSurge = 0;
  }
  if (unset(s.revisionHistoryLimit)) s.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(s.template);
}

/** SetDefaults_ReplicationController: selector and object labels default to the template's labels. */
export function defaultReplicationController(obj: KubeObject): void {
  const s = spec(obj);
  const labels = isObj(s.template) && isObj(s.template.metadata) ? s.template.metadata.labels : undefined;
  if (isObj(labels)) {
    if (!isObj(s.selector) || Object.keys(s.selector).length === 0) s.selector = { ...labels };
    if (!isObj(obj.metadata.labels) || Object.keys(obj.metadata.labels).length === 0) obj.metadata.labels = { ...labels };
  }
  if (unset(s.replicas)) s.replicas = 1;
  defaultPodTemplateSpec(s.template);
}

export function defaultPodTemplate(obj: KubeObject): void {
  if (!isObj(obj.template)) obj.template = {};
  defaultPodTemplateSpec(obj.template);
}

/** SetDefaults_Job (1.32): both completions and parallelism default to 1 only when both are unset. */
export function defaultJob(obj: KubeObject): void {
  const s = spec(obj);
  if (unset(s.completions) && unset(s.parallelism)) {
    s.completions = 1;
    s.parallelism = 1;
  }
  if (unset(s.parallelism)) s.parallelism = 1;
  if (unset(s.backoffLimit)) s.backoffLimit = unset(s.backoffLimitPerIndex) ? 6 : 2147483647;
  const tlabels = isObj(s.template) && isObj(s.template.metadata) ? s.template.metadata.labels : undefined;
  if (isObj(tlabels) && (!isObj(obj.metadata.labels) || Object.keys(obj.metadata.labels).length === 0)) {
    obj.metadata.labels = { ...tlabels };
  }
  if (!s.completionMode) s.completionMode = 'NonIndexed';
  if (unset(s.suspend)) s.suspend = false;
  if (isObj(s.podFailurePolicy) && Array.isArray(s.podFailurePolicy.rules)) {
    for (const rule of s.podFailurePolicy.rules) {
      if (!isObj(rule) || !Array.isArray(rule.onPodConditions)) continue;
      for (const p of rule.onPodConditions) if (isObj(p) && !p.status) p.status = 'True';
    }
  }
  if (!s.podReplacementPolicy) s.podReplacementPolicy = isObj(s.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplateSpec(s.template);
}

/** SetDefaults_CronJob; the job template gets PodSpec defaults but not Job defaults, as upstream. */
export function defaultCronJob(obj: KubeObject): void {
  const s = spec(obj);
  if (!s.concurrencyPolicy) s.concurrencyPolicy = 'Allow';
  if (unset(s.suspend)) s.suspend = false;
  if (unset(s.successfulJobsHistoryLimit)) s.successfulJobsHistoryLimit = 3;
  if (unset(s.failedJobsHistoryLimit)) s.failedJobsHistoryLimit = 1;
  if (isObj(s.jobTemplate) && isObj(s.jobTemplate.spec)) defaultPodTemplateSpec(s.jobTemplate.spec.template);
}
