// IPv4 CIDR arithmetic for the pod network: parsing, containment, and trimming a list of ranges
// to the ones not covered by another (nftables rejects overlapping elements in one set).

export interface Cidr4 {
  /** network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parse "a.b.c.d/n"; the host bits are cleared. Throws on anything else. */
export function parseCidr4(s: string): Cidr4 {
  const [ip, p] = s.split('/');
  const addr = parseIPv4(ip);
  const prefix = Number(p);
  if (addr === undefined || p === undefined || !/^\d+$/.test(p) || prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(s)}`);
  return { base: (addr & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrContainsIp(c: Cidr4, ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && ((n & maskOf(c.prefix)) >>> 0) === c.base;
}

export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return outer.prefix <= inner.prefix && ((inner.base & maskOf(outer.prefix)) >>> 0) === outer.base;
}

/** The ranges of `list` that no other range in it covers, in input order, without duplicates. */
export function outermostCidrs(list: string[]): string[] {
  const parsed = list.map(parseCidr4);
  const out: string[] = [];
  parsed.forEach((c, i) => {
    const covered = parsed.some((o, j) => j !== i && cidrContains(o, c) && (o.prefix < c.prefix || j < i));
    if (!covered) out.push(formatCidr4(c));
  });
  return out;
}

/** The first usable address (the gateway host-local picks by default): network + 1. */
export function firstHost(c: Cidr4): string {
  return formatIPv4(c.base + 1);
}
