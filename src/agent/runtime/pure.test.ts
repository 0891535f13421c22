// Table tests for the runtime's small pure helpers: etc files, conmon argv and sync messages,
// CRI log lines, shell quoting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostNetworkHostsFile, podHostsFile, resolvConf, splitHostname } from './etcfiles.ts';
import { conmonArgs, parseSyncMessage } from './conmon.ts';
import { parseCriLine } from './exec.ts';

test('splitHostname', () => {
  assert.deepEqual(splitHostname('web-0'), { short: 'web-0' });
  assert.deepEqual(splitHostname('web-0.nginx.default.svc.cluster.local'), { short: 'web-0', fqdn: 'web-0.nginx.default.svc.cluster.local' });
});

test('pod hosts file: localhost lines, pod IP with hostname (and FQDN), host aliases', () => {
  const plain = podHostsFile('mypod', '10.0.0.5', []);
  assert.match(plain, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(plain, /\n10\.0\.0\.5\tmypod\n$/);
  assert.doesNotMatch(plain, /HostAliases/);
  const fq = podHostsFile('web-0.nginx.default.svc.cluster.local', '10.0.0.6', [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }]);
  assert.match(fq, /\n10\.0\.0\.6\tweb-0\.nginx\.default\.svc\.cluster\.local\tweb-0\n/);
  assert.match(fq, /# Entries added by HostAliases\.\n1\.2\.3\.4\ta\tb\n$/);
  assert.doesNotMatch(podHostsFile('p', undefined, []), /\tp\n/);
});

test('hostNetwork hosts file is the host file plus aliases', () => {
  assert.equal(hostNetworkHostsFile('127.0.0.1 localhost', []), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
  assert.match(hostNetworkHostsFile('127.0.0.1 localhost\n', [{ ip: '5.6.7.8', hostnames: ['x'] }]), /localhost\n\n# Entries added by HostAliases\.\n5\.6\.7\.8\tx\n$/);
});

test('resolv.conf from the DNS config, host file when empty', () => {
  const cases = [
    { dns: { servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] }, want: 'search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n' },
    { dns: { servers: ['1.1.1.1', '8.8.8.8'], searches: [], options: [] }, want: 'nameserver 1.1.1.1\nnameserver 8.8.8.8\n' },
    { dns: { servers: [], searches: [], options: [] }, want: 'HOST' },
  ];
  for (const c of cases) assert.equal(resolvConf(c.dns, 'HOST'), c.want);
});

test('conmon argv carries ids, paths, log driver, runtime root, tty/stdin flags', () => {
  const base = {
    conmonBinary: '/usr/bin/conmon', runtimeBinary: '/usr/bin/crun', runtimeRoot: '/r/oci', id: 'abc', name: 'web',
    bundle: '/r/containers/abc', persistDir: '/r/containers/abc/persist', exitDir: '/r/exits', socketDir: '/r/sock',
    logPath: '/logs/web/0.log', terminal: false, stdin: false,
  };
  const args = conmonArgs(base);
  const flag = (f: string) => args[args.indexOf(f) + 1];
  assert.equal(flag('--api-version'), '1');
  assert.equal(flag('-c'), 'abc');
  assert.equal(flag('-r'), '/usr/bin/crun');
  assert.equal(flag('-b'), '/r/containers/abc');
  assert.equal(flag('-p'), '/r/containers/abc/persist/pid');
  assert.equal(flag('-l'), 'k8s-file:/logs/web/0.log');
  assert.equal(flag('--exit-dir'), '/r/exits');
  assert.equal(flag('--socket-dir-path'), '/r/sock');
  assert.deepEqual(args.slice(-4), ['--runtime-arg', '--root', '--runtime-arg', '/r/oci']);
  assert.ok(!args.includes('-t') && !args.includes('-i'));
  const tty = conmonArgs({ ...base, terminal: true, stdin: true });
  assert.ok(tty.includes('-t') && tty.includes('-i'));
});

test('conmon sync messages: pid on success, the runtime error otherwise', () => {
  assert.equal(parseSyncMessage('{"data": 1234}'), 1234);
  assert.equal(parseSyncMessage('{"pid": 99}'), 99);
  assert.throws(() => parseSyncMessage('{"data": -1, "message": "executable file `/x` not found"}'), /executable file/);
  assert.throws(() => parseSyncMessage('{"data": 0}'), /conmon reported/);
  assert.throws(() => parseSyncMessage('{"da'), SyntaxError);
});

test('CRI log lines', () => {
  const cases: [string, ReturnType<typeof parseCriLine>][] = [
    ['2026-11-22T02:40:58.542280722+00:00 stdout F hello world', { stream: 'stdout', partial: false, content: 'hello world' }],
    ['2026-11-22T02:40:58Z stderr P part', { stream: 'stderr', partial: true, content: 'part' }],
    ['2026-11-22T02:40:58Z stdout F', { stream: 'stdout', partial: false, content: '' }],
    ['2026-11-22T02:40:58Z stdout F ', { stream: 'stdout', partial: false, content: '' }],
    ['garbage', undefined],
    ['ts other F x', undefined],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseCriLine(line), want, line);
});
