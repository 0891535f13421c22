// CniNetwork against the real Debian CNI plugins: two pods on one bridge reach each other, the
// host reaches a pod directly and through a portmap host port, DEL releases addresses and is
// idempotent, a failed ADD leaves nothing behind, the egress guard drops traffic leaving the
// pod network, and destroy() removes the bridge and the nft table. Every netns, veth, process,
// bridge and table made here is removed in `finally`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../base/log.ts';
import { CniNetwork } from './cni.ts';
import type { PodNetworkRef } from './types.ts';

const run = promisify(execFile);
const canRun = process.getuid?.() === 0 && existsSync('/usr/lib/cni/bridge') && existsSync('/usr/bin/busybox') && existsSync('/usr/sbin/nft');
const skip = canRun ? false : 'needs root, /usr/lib/cni, busybox-static and nft';

function uniq(): string {
  return `${process.pid % 1000}${Math.floor(Math.random() * 46656).toString(36)}`;
}

/** A scratch world: netns, children and veths created through it are removed by cleanup(). */
class World {
  readonly tag = uniq();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-cni-'));
  private netnses: string[] = [];
  private links: string[] = [];
  private children: ChildProcess[] = [];
  readonly cidrBase = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;

  async netns(suffix: string): Promise<string> {
    const name = `skt-${this.tag}-${suffix}`;
    await run('ip', ['netns', 'add', name]);
    this.netnses.push(name);
    return name;
  }
  async delNetns(name: string): Promise<void> {
    await run('ip', ['netns', 'del', name]);
    this.netnses = this.netnses.filter((n) => n !== name);
  }
  link(name: string): void {
    this.links.push(name);
  }
  httpd(ns: string, port: number, body: string): void {
    const www = path.join(this.dir, `www-${ns}`);
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), body);
    const child = spawn('ip', ['netns', 'exec', ns, '/usr/bin/busybox', 'httpd', '-f', '-p', String(port), '-h', www], { stdio: 'ignore' });
    this.children.push(child);
  }
  async cleanup(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const l of this.links) await run('ip', ['link', 'del', l]).catch(() => {});
    for (const n of this.netnses) await run('ip', ['netns', 'del', n]).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ref(id: string): PodNetworkRef {
  return { sandboxId: id, podUid: `uid-${id}`, namespace: 'default', name: id };
}

/** wget from the host (ns undefined) or from inside a netns; resolves with the body or undefined. */
async function wget(ns: string | undefined, url: string): Promise<string | undefined> {
  const cmd = ['timeout', '3', '/usr/bin/busybox', 'wget', '-qO-', url];
  const argv = ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
  try {
    const { stdout } = await run(argv[0], argv.slice(1));
    return stdout;
  } catch {
    return undefined;
  }
}

async function eventually(fn: () => Promise<string | undefined>, want: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: string | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(last, want);
}

/** The iptables-nft NAT tables that exist now ('ip nat', 'ip6 nat'). */
async function natTables(): Promise<Set<string>> {
  const { stdout } = await run('nft', ['list', 'tables']);
  return new Set(['ip nat', 'ip6 nat'].filter((t) => stdout.split('\n').some((l) => l.trim() === `table ${t}`)));
}

/**
 * Remove the NAT tables a test made through portmap (which creates them, with its shared
 * CNI-HOSTPORT chains, and never removes them): only those that did not exist before it.
 */
async function removeNatTablesMadeSince(before: Set<string>): Promise<void> {
  for (const t of await natTables()) if (!before.has(t)) await run('nft', ['delete', 'table', ...t.split(' ')]).catch(() => {});
}

async function linkExists(name: string): Promise<boolean> {
  return run('ip', ['link', 'show', name]).then(() => true, () => false);
}

test('two pods on the bridge: distinct IPs, pod↔pod, host→pod, host port, DEL, destroy', { skip }, async () => {
  const w = new World();
  const bridge = `skb${w.tag}`;
  const podCIDR = `${w.cidrBase}.0/24`;
  const net = new CniNetwork({ stateDir: path.join(w.dir, 'cni'), bridge, podCIDR, log: silentLogger });
  const hostPort = 30000 + Math.floor(Math.random() * 20000);
  const natBefore = await natTables();
  try {
    const nsA = await w.netns('a');
    const nsB = await w.netns('b');
    // Both at once: the first ADDs race to create the bridge.
    const [a, b] = await Promise.all([
      net.setUp(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, [{ containerPort: 8080, hostPort, protocol: 'TCP' }]),
      net.setUp(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []),
    ]);
    assert.notEqual(a.ip, b.ip);
    for (const s of [a, b]) {
      assert.ok(s.ip.startsWith(`${w.cidrBase}.`), s.ip);
      assert.equal(s.gateway, `${w.cidrBase}.1`);
      assert.ok(s.hostInterface && (await linkExists(s.hostInterface)), 'host veth exists');
    }
    // The two concurrent ADDs above used to race to create the bridge and to set its address, and
    // this CHECK failed now and then ("Bridge interface … Mac doesn't match"): the bridge is now
    // made, with its address pinned, before the first ADD.
    await net.check(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, [{ containerPort: 8080, hostPort, protocol: 'TCP' }]);

    w.httpd(nsA, 8080, 'hello from A\n');
    await eventually(() => wget(undefined, `http://${a.ip}:8080/`), 'hello from A\n');
    assert.equal(await wget(nsB, `http://${a.ip}:8080/`), 'hello from A\n', 'pod B reaches pod A');
    assert.equal(await wget(undefined, `http://${a.gateway}:${hostPort}/`), 'hello from A\n', 'host port through portmap');

    // DEL releases the address; a second DEL and a DEL without the netns succeed.
    const ipamDir = path.join(w.dir, 'cni', 'ipam', `skiff-${bridge}`);
    assert.ok(readdirSync(ipamDir).includes(b.ip));
    await net.tearDown(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []);
    assert.ok(!readdirSync(ipamDir).includes(b.ip), 'B released');
    assert.ok(!(await linkExists(b.hostInterface!)), 'B veth gone');
    await net.tearDown(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []);
    await w.delNetns(nsA);
    await net.tearDown(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, []);
    assert.ok(!readdirSync(ipamDir).includes(a.ip), 'A released without its netns');
    assert.equal(await wget(undefined, `http://${a.gateway}:${hostPort}/`), undefined, 'host port gone');

    await net.destroy();
    assert.equal(await linkExists(bridge), false, 'bridge removed');
  } finally {
    for (const id of ['a', 'b']) await net.tearDown(ref(`${id}${w.tag}`), undefined, []).catch(() => {});
    await net.destroy().catch(() => {});
    await w.cleanup();
    await removeNatTablesMadeSince(natBefore);
  }
});

test('a failed ADD releases everything; a released address is reused', { skip }, async () => {
  const w = new World();
  const bridge = `skb${w.tag}`;
  // A /30 has room for exactly one pod (.2): the gateway takes .1.
  const net = new CniNetwork({ stateDir: path.join(w.dir, 'cni'), bridge, podCIDR: `${w.cidrBase}.0/30`, log: silentLogger });
  try {
    const nsA = await w.netns('a');
    const nsB = await w.netns('b');
    const a = await net.setUp(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, []);
    assert.equal(a.ip, `${w.cidrBase}.2`);
    await assert.rejects(net.setUp(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []), /no IP addresses available|failed/);
    const { stdout: ports } = await run('ip', ['-o', 'link', 'show', 'master', bridge]);
    assert.equal(ports.trim().split('\n').filter(Boolean).length, 1, 'only A is attached to the bridge');
    const { stdout: inB } = await run('ip', ['netns', 'exec', nsB, 'ip', '-o', 'link', 'show', 'eth0']).catch(() => ({ stdout: '' }));
    assert.equal(inB, '', 'no eth0 left in B');

    await net.tearDown(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, []);
    const b = await net.setUp(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []);
    assert.equal(b.ip, a.ip, 'the released address is reused');
    await net.tearDown(ref(`b${w.tag}`), `/var/run/netns/${nsB}`, []);
  } finally {
    for (const id of ['a', 'b']) await net.tearDown(ref(`${id}${w.tag}`), undefined, []).catch(() => {});
    await net.destroy().catch(() => {});
    await w.cleanup();
  }
});

test('blockEgress drops pod traffic leaving the pod network; destroy (even by a fresh instance without the flag) removes the table and the blackhole route', { skip }, async () => {
  const w = new World();
  const bridge = `skb${w.tag}`;
  const podCIDR = `${w.cidrBase}.0/24`;
  const clusterCIDR = `10.${w.cidrBase.split('.')[1]}.0.0/16`;
  const net = new CniNetwork({ stateDir: path.join(w.dir, 'cni'), bridge, podCIDR, clusterCIDR, blockEgress: true, log: silentLogger });
  const table = `skiff-${bridge}`;
  // "Outside": a netns behind a host veth, in a range that is neither pod nor cluster.
  const outNet = `198.18.${Math.floor(Math.random() * 250)}`; // RFC 2544 benchmark range
  const hostEnd = `sko${w.tag}`;
  try {
    const nsA = await w.netns('a');
    const nsOut = await w.netns('o');
    await run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nsOut]);
    w.link(hostEnd);
    await run('ip', ['addr', 'add', `${outNet}.1/30`, 'dev', hostEnd]);
    await run('ip', ['link', 'set', hostEnd, 'up']);
    await run('ip', ['netns', 'exec', nsOut, 'ip', 'addr', 'add', `${outNet}.2/30`, 'dev', 'eth0']);
    await run('ip', ['netns', 'exec', nsOut, 'ip', 'link', 'set', 'eth0', 'up']);
    await run('ip', ['netns', 'exec', nsOut, 'ip', 'route', 'add', 'default', 'via', `${outNet}.1`]);
    w.httpd(nsOut, 8080, 'outside\n');
    await eventually(() => wget(undefined, `http://${outNet}.2:8080/`), 'outside\n');

    const a = await net.setUp(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, []);
    const { stdout: rules } = await run('nft', ['list', 'table', 'inet', table]);
    assert.match(rules, /hook forward/);
    const { stdout: routes } = await run('ip', ['route', 'show', 'type', 'blackhole']);
    assert.match(routes, new RegExp(clusterCIDR.replace(/\./g, '\\.')));

    assert.equal(await wget(nsA, `http://${outNet}.2:8080/`), undefined, 'dropped by the egress guard');
    // The guard is what stops it: without the table the same request goes through.
    await run('nft', ['delete', 'table', 'inet', table]);
    await eventually(() => wget(nsA, `http://${outNet}.2:8080/`), 'outside\n');
    assert.ok(a.ip);

    await net.tearDown(ref(`a${w.tag}`), `/var/run/netns/${nsA}`, []);
    // As `skiff reset-node` does: a fresh instance, here without the agent's --block-pod-egress,
    // still removes the bridge, the table and the blackhole route the agent left.
    await run('nft', ['add', 'table', 'inet', table]);
    const resetter = new CniNetwork({ stateDir: path.join(w.dir, 'cni'), bridge, podCIDR, clusterCIDR, log: silentLogger });
    await resetter.destroy();
    assert.equal(await linkExists(bridge), false);
    await assert.rejects(run('nft', ['list', 'table', 'inet', table]));
    const { stdout: after } = await run('ip', ['route', 'show', 'type', 'blackhole']);
    assert.doesNotMatch(after, new RegExp(clusterCIDR.replace(/\./g, '\\.')));
  } finally {
    for (const id of ['a', 'b']) await net.tearDown(ref(`${id}${w.tag}`), undefined, []).catch(() => {});
    await net.destroy().catch(() => {});
    await run('nft', ['delete', 'table', 'inet', table]).catch(() => {});
    await w.cleanup();
  }
});
