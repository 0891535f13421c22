// The response kind for an HTTP upgrade the API core accepted (pods/exec, attach, portforward
// proxied to a node agent): the transport writes the 101 status line and headers on the raw
// socket, then hands the socket over to `upgrade`, which splices it to the agent. It is a
// BufferedResponse in shape (status 101, no body) so transports that know nothing of upgrades
// still type-check; https.ts checks for it with isUpgrade().

import type { Duplex } from 'node:stream';
import type { ApiResponse, BufferedResponse } from '../request.ts';

export interface UpgradeResponse extends BufferedResponse {
  status: 101;
  headers: Record<string, string>;
  /** Take over the client's socket (and bytes already read past the request head). */
  upgrade(socket: Duplex, head: Buffer): void;
}

export function isUpgrade(r: ApiResponse): r is UpgradeResponse {
  return r.status === 101 && typeof (r as UpgradeResponse).upgrade === 'function';
}

/** Is this request asking to switch protocols (WebSocket, or SPDY/3.1 from older clients)? */
export function wantsUpgrade(headers: Record<string, string | undefined>): boolean {
  return !!headers.upgrade && /(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection ?? '');
}
