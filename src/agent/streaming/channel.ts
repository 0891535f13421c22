// The Kubernetes WebSocket channel protocols (channel.k8s.io and its v2–v5 and base64
// variants) used by exec, attach and client-node's port-forward: every message is one channel
// byte (or, base64 variants, one ASCII digit) followed by the payload. Pure functions: the
// subprotocol choice, frame encode/decode, and the channel-3 status messages of exec.
//
// Channels for exec/attach: 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize, 255 close
// (v5: [255, 0] means the client closed stdin). Port-forward: for the i-th port, 2i data and
// 2i+1 error; the server's first message on each carries the port as 2 bytes little-endian.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

/** Exec/attach subprotocols we speak, most preferred first (as the kubelet picks them). */
export const REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** Port-forward (pure WebSocket) subprotocols: the kubelet serves v4 and the unversioned ones. */
export const PORT_FORWARD_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'] as const;

/** kubectl's SPDY-over-WebSocket port-forward. */
export const SPDY_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** The first protocol in our preference order that the client offered; '' when it offered none. */
export function chooseProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return '';
  for (const p of supported) if (offered.includes(p)) return p;
  return undefined;
}

/** Parse a Sec-WebSocket-Protocol header (comma-separated, possibly repeated). */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  if (!header) return [];
  const all = Array.isArray(header) ? header.join(',') : header;
  return all
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function isBase64Protocol(p: string): boolean {
  return p.includes('base64.');
}

/** 1 for channel.k8s.io, 2..5 for vN.channel.k8s.io. */
export function protocolVersion(p: string): number {
  const m = /^v(\d+)\./.exec(p);
  return m ? Number(m[1]) : 1;
}

/** Encode one message: binary (channel byte + data) or base64 text (digit + base64 data). */
export function encodeFrame(channel: number, data: Buffer, base64: boolean): Buffer | string {
  if (base64) return String.fromCharCode(0x30 + channel) + data.toString('base64');
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = channel;
  data.copy(out, 1);
  return out;
}

/** Decode one message; undefined for an empty one. */
export function decodeFrame(msg: Buffer | string, base64: boolean): { channel: number; data: Buffer } | undefined {
  if (base64 || typeof msg === 'string') {
    const s = typeof msg === 'string' ? msg : msg.toString('latin1');
    if (s.length === 0) return undefined;
    return { channel: s.charCodeAt(0) - 0x30, data: Buffer.from(s.slice(1), 'base64') };
  }
  if (msg.length === 0) return undefined;
  return { channel: msg[0]!, data: msg.subarray(1) };
}

/** Terminal size from a channel-4 message ({"Width":100,"Height":30}); undefined if malformed. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width === 'number' && typeof v.Height === 'number') return { width: v.Width, height: v.Height };
  } catch {
    // ignored, as the kubelet does
  }
  return undefined;
}

/** Go's %v of a []string: [a b c]. */
function goStrings(a: readonly string[]): string {
  return `[${a.join(' ')}]`;
}

/** The exit of a command as the kubelet reports it on channel 3 (v4+ carry Status JSON). */
export function exitStatus(exitCode: number, cmd: readonly string[]): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command ${goStrings(cmd)}, exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A failure that is not an exit code (runtime error) as an InternalError Status. */
export function errorStatus(message: string): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/**
 * What to send on channel 3 for a status under a protocol: v4/v5 send the Status JSON (Success
 * too); older protocols send only a failure's message as text, nothing on success.
 */
export function statusPayload(protocol: string, status: Record<string, unknown>): Buffer | undefined {
  if (protocolVersion(protocol) >= 4) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(String(status.message ?? 'error'));
}

/** The 2-byte little-endian port prefix of port-forward channels. */
export function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port, 0);
  return b;
}
