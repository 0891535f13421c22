// The pod network contract: wires a pod's network namespace into the node's pod network with
// the standard CNI plugins (loopback + bridge with host-local IPAM + portmap). The runtime calls
// it from runPodSandbox/stopPodSandbox.
//
// Contract:
// - setUp is called once per sandbox with a fresh netns; it returns the pod IP. A failed setUp
//   leaves nothing allocated (it runs DEL itself before rejecting).
// - tearDown is idempotent and succeeds when the netns is already gone (IPs still released).
// - Addresses come from the node's pod CIDR; the bridge's address is the pods' gateway.

import type { PortMapping } from '../runtime/types.ts';

export interface PodNetworkRef {
  sandboxId: string;
  podUid: string;
  namespace: string;
  name: string;
}

export interface PodNetworkStatus {
  ip: string;
  gateway: string;
  /** Host-side veth name, for diagnostics. */
  hostInterface?: string;
}

export interface PodNetwork {
  setUp(ref: PodNetworkRef, netnsPath: string, portMappings: PortMapping[]): Promise<PodNetworkStatus>;
  tearDown(ref: PodNetworkRef, netnsPath: string | undefined, portMappings: PortMapping[]): Promise<void>;
  /**
   * Remove what the network creates on the host (bridge, nft tables, the cluster range's blackhole
   * route), whether or not this instance created it (`skiff reset-node` runs on a fresh one) —
   * for tests and uninstall.
   */
  destroy(): Promise<void>;
}
