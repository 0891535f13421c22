// The pure parts of the pod network: CIDR helpers, plugin inputs, result parsing and the
// egress ruleset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContainsIp, outermostCidrs, parseCidr4, formatCidr4 } from './cidr.ts';
import { chainConfigs, egressRuleset, parseResult, pluginInput, podChain } from './config.ts';

test('CIDR parsing, containment and outermost ranges', () => {
  assert.equal(formatCidr4(parseCidr4('10.42.0.7/24')), '10.42.0.0/24');
  assert.throws(() => parseCidr4('10.42.0.0'), /invalid IPv4 CIDR/);
  assert.throws(() => parseCidr4('300.1.1.1/8'), /invalid IPv4 CIDR/);
  assert.ok(cidrContainsIp(parseCidr4('10.42.0.0/24'), '10.42.0.200'));
  assert.ok(!cidrContainsIp(parseCidr4('10.42.0.0/24'), '10.42.1.1'));
  assert.deepEqual(outermostCidrs(['10.42.0.0/24', '10.42.0.0/16', '127.0.0.0/8', '10.42.0.0/16']), ['10.42.0.0/16', '127.0.0.0/8']);
});

test('plugin inputs carry name, version, prevResult and port mappings for portmap only', () => {
  const s = { name: 'skiff-br', bridge: 'br', podCIDR: '10.1.0.0/24', ipamDataDir: '/x/ipam' };
  const [bridge, portmap] = chainConfigs(s);
  const b = pluginInput(s, bridge, undefined, [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }]);
  assert.equal(b.name, 'skiff-br');
  assert.equal(b.cniVersion, '1.0.0');
  assert.equal(b.runtimeConfig, undefined);
  assert.equal(b.prevResult, undefined);
  assert.deepEqual((b.ipam as any).ranges, [[{ subnet: '10.1.0.0/24' }]]);
  const p = pluginInput(s, portmap, { ips: [] }, [{ containerPort: 80, hostPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1' }, { containerPort: 53, hostPort: 0, protocol: 'UDP' }]);
  assert.deepEqual(p.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }] });
  assert.deepEqual(p.prevResult, { ips: [] });
});

test('parseResult picks the sandbox IPv4 address in the pod CIDR', () => {
  const result = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'br' }, { name: 'veth1234' }, { name: 'eth0', sandbox: '/var/run/netns/x' }],
    ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 2 }],
  };
  assert.deepEqual(parseResult(result, '10.1.0.0/24', 'br'), { ip: '10.1.0.5', gateway: '10.1.0.1', hostInterface: 'veth1234' });
  assert.throws(() => parseResult({ ips: [] }, '10.1.0.0/24', 'br'), /no IPv4 address in 10\.1\.0\.0\/24/);
  assert.throws(() => parseResult({ ...result, ips: [{ address: '10.1.0.5/24', interface: 2 }] }, '10.1.0.0/24', 'br'), /without a gateway/);
  assert.throws(() => parseResult(null, '10.1.0.0/24', 'br'), /not an object/);
});

test('egress ruleset: one inet table, forward hook, allowed ranges merged', () => {
  const text = egressRuleset('skiff0', '10.42.0.0/24', '10.42.0.0/16');
  assert.match(text, /^add table inet skiff-skiff0\ndelete table inet skiff-skiff0\ntable inet skiff-skiff0 \{/);
  assert.match(text, /type filter hook forward priority -10; policy accept;/);
  assert.match(text, /ip saddr 10\.42\.0\.0\/24 ip daddr != \{ 10\.42\.0\.0\/16, 127\.0\.0\.0\/8 \} drop/);
  assert.match(text, /iifname "skiff0" meta nfproto ipv6 drop/);
});

test('podChain runs portmap only for pods with host ports, and the whole chain when ports are unknown', () => {
  const s = { name: 'skiff-br', bridge: 'br', podCIDR: '10.1.0.0/24', ipamDataDir: '/x/ipam' };
  const types = (ports: Parameters<typeof podChain>[1]) => podChain(s, ports).map((p) => p.type);
  assert.deepEqual(types([]), ['bridge']);
  assert.deepEqual(types([{ containerPort: 53, hostPort: 0, protocol: 'UDP' }]), ['bridge']);
  assert.deepEqual(types([{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }]), ['bridge', 'portmap']);
  assert.deepEqual(types(undefined), ['bridge', 'portmap']);
});
