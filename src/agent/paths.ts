// Where the node agent keeps things on the host, all under one root (<data-dir>/agent) so that
// several agents (tests, simulated clusters) never share state. Pure path arithmetic.

import * as path from 'node:path';

export interface AgentPaths {
  root: string;
  /** content-addressed image store */
  images: string;
  /** archives dropped here are imported at start (air-gap, as k3s does) */
  imageImports: string;
  /** runtime state: bundles, conmon persist dirs, exit files, crun --root */
  runtime: string;
  /** CNI IPAM state and generated network configs */
  cni: string;
  /** per-pod directories: volumes, etc-hosts, termination logs */
  pods: string;
  /** container logs, <ns>_<name>_<uid>/<container>/<attempt>.log as the kubelet lays them out */
  logs: string;
  /** agent TLS material (serving cert for logs/exec/port-forward) */
  tls: string;
}

export function agentPaths(dataDir: string): AgentPaths {
  const root = path.join(dataDir, 'agent');
  return {
    root,
    images: path.join(root, 'images'),
    imageImports: path.join(root, 'images'),
    runtime: path.join(root, 'runtime'),
    cni: path.join(root, 'cni'),
    pods: path.join(root, 'pods'),
    logs: path.join(root, 'logs'),
    tls: path.join(root, 'tls'),
  };
}

export function podDir(paths: AgentPaths, podUid: string): string {
  return path.join(paths.pods, podUid);
}

export function podLogDir(paths: AgentPaths, namespace: string, name: string, podUid: string): string {
  return path.join(paths.logs, `${namespace}_${name}_${podUid}`);
}

/** The log file of the `attempt`-th instance (restart count) of a container. */
export function containerLogPath(paths: AgentPaths, namespace: string, name: string, podUid: string, container: string, attempt: number): string {
  return path.join(podLogDir(paths, namespace, name, podUid), container, `${attempt}.log`);
}
