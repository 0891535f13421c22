import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { realClock } from '../../client/clock.ts';
import { FakeClock, flushMicrotasks } from '../../client/testing.ts';
import type { ExecOptions, ExecResult } from '../runtime/types.ts';
import { type ProbeKind, ProbeManager, decodeHealthCheckResponse, encodeHealthCheckRequest, runProbe } from './probes.ts';

function pod(container: any): KubeObject {
  return { metadata: { name: 'p', namespace: 'default', uid: 'pu' }, spec: { containers: [container] } };
}

/** exec fake: answers exit codes from a script per command name. */
function fakeExec(answer: (cmd: string[], n: number) => number | 'hang') {
  const calls: string[][] = [];
  return {
    calls,
    runtime: {
      async exec(_id: string, o: ExecOptions): Promise<ExecResult> {
        calls.push(o.cmd);
        const a = answer(o.cmd, calls.filter((c) => c[0] === o.cmd[0]).length);
        if (a === 'hang') {
          await new Promise<void>((resolve) => o.signal!.addEventListener('abort', () => resolve(), { once: true }));
          return { exitCode: 137, timedOut: true };
        }
        o.stdout?.write(a === 0 ? '' : 'not yet');
        return { exitCode: a };
      },
    },
  };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('probe manager: readiness goes true after success, false after failureThreshold failures', async () => {
  const clock = new FakeClock();
  let n = 0;
  const script = [0, 1, 1, 0];
  const ex = fakeExec(() => script[n++] ?? 0);
  const changes: string[] = [];
  const failures: string[] = [];
  const pm = new ProbeManager({ runtime: ex.runtime, clock, log: silentLogger, onChange: (_u, _id, k, ok) => changes.push(`${k}:${ok}`), onFailure: (_p, c, _k, m) => failures.push(`${c}:${m}`) });
  const p = pod({ name: 'app', readinessProbe: { exec: { command: ['check'] }, periodSeconds: 5, failureThreshold: 2 } });
  pm.sync(p, '10.0.0.1', [{ name: 'app', id: 'c1', startedAt: clock.now() }]);
  assert.equal(pm.ready('c1'), false);
  await clock.advance(0);
  assert.equal(pm.ready('c1'), true);
  await clock.advance(5000);
  assert.equal(pm.ready('c1'), true, 'one failure is under the threshold');
  await clock.advance(5000);
  assert.equal(pm.ready('c1'), false);
  await clock.advance(5000);
  assert.equal(pm.ready('c1'), true);
  assert.deepEqual(changes, ['readiness:true', 'readiness:false', 'readiness:true']);
  assert.deepEqual(failures, ['app:Readiness probe failed: not yet', 'app:Readiness probe failed: not yet']);
  pm.close();
  assert.equal(clock.pending(), 0);
});

test('probe manager: initialDelaySeconds, liveness failure holds until the container is replaced', async () => {
  const clock = new FakeClock();
  const ex = fakeExec(() => 1);
  const changes: string[] = [];
  const pm = new ProbeManager({ runtime: ex.runtime, clock, log: silentLogger, onChange: (_u, id, k, ok) => changes.push(`${id}:${k}:${ok}`) });
  const p = pod({ name: 'app', livenessProbe: { exec: { command: ['live'] }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 3 } });
  pm.sync(p, undefined, [{ name: 'app', id: 'c1', startedAt: clock.now() }]);
  await clock.advance(29_000);
  assert.equal(ex.calls.length, 0);
  assert.equal(pm.livenessFailed('c1'), false);
  await clock.advance(1000 + 20_000);
  assert.equal(ex.calls.length, 3);
  assert.equal(pm.livenessFailed('c1'), true);
  await clock.advance(50_000);
  assert.equal(ex.calls.length, 3, 'on hold after failure');
  assert.deepEqual(changes, ['c1:liveness:false']);
  // replaced by a new instance: fresh worker, fresh result
  pm.sync(p, undefined, [{ name: 'app', id: 'c2', startedAt: clock.now() }]);
  assert.equal(pm.livenessFailed('c1'), false);
  assert.equal(pm.livenessFailed('c2'), false);
  pm.close();
});

test('probe manager: startup probe gates liveness and readiness, then stops', async () => {
  const clock = new FakeClock();
  const ex = fakeExec((cmd, n) => (cmd[0] === 'start' ? (n >= 2 ? 0 : 1) : 0));
  const pm = new ProbeManager({ runtime: ex.runtime, clock, log: silentLogger, onChange: () => {} });
  const p = pod({ name: 'app', startupProbe: { exec: { command: ['start'] }, periodSeconds: 1, failureThreshold: 5 }, livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1 }, readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 } });
  pm.sync(p, undefined, [{ name: 'app', id: 'c1', startedAt: clock.now() }]);
  await clock.advance(0);
  assert.deepEqual(ex.calls.map((c) => c[0]), ['start']);
  assert.equal(pm.started('c1'), false);
  await clock.advance(1000);
  assert.equal(pm.started('c1'), true);
  const after = ex.calls.map((c) => c[0]);
  assert.deepEqual(after.slice(0, 2), ['start', 'start']);
  assert.deepEqual(after.slice(2).sort(), ['live', 'ready']);
  await clock.advance(3000);
  assert.equal(ex.calls.filter((c) => c[0] === 'start').length, 2, 'startup probing stopped');
  assert.equal(pm.ready('c1'), true);
  pm.close();
});

test('probe manager: startup failure is published', async () => {
  const clock = new FakeClock();
  const ex = fakeExec(() => 1);
  const pm = new ProbeManager({ runtime: ex.runtime, clock, log: silentLogger, onChange: () => {} });
  pm.sync(pod({ name: 'app', startupProbe: { exec: { command: ['s'] }, periodSeconds: 1, failureThreshold: 2 } }), undefined, [{ name: 'app', id: 'c1', startedAt: clock.now() }]);
  await clock.advance(1000);
  assert.equal(pm.startupFailed('c1'), true);
  pm.removePod('pu');
  assert.equal(clock.pending(), 0);
});

test('exec probe: timeout kills the command and fails', async () => {
  const clock = new FakeClock();
  const ex = fakeExec(() => 'hang');
  const p = runProbe({ exec: { command: ['sleep'] }, timeoutSeconds: 2 }, { pod: pod({}), container: {}, containerId: 'c' }, ex.runtime, clock);
  await clock.advance(2000);
  assert.deepEqual(await p, { ok: false, message: 'command "sleep" timed out' });
});

async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('http probe: status codes, named ports, headers, redirects', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/ok') res.writeHead(200).end('ok');
    else if (req.url === '/bad') res.writeHead(500).end('bad');
    else if (req.url === '/redir') res.writeHead(302, { location: '/bad' }).end();
    else if (req.url === '/away') res.writeHead(302, { location: 'http://example.invalid/' }).end();
    else if (req.url === '/moved') res.writeHead(301).end();
    else res.writeHead(404).end();
  });
  const port = await listen(server);
  t.after(() => server.close());
  const target = { pod: pod({}), container: { ports: [{ name: 'web', containerPort: port }] }, containerId: 'c', podIP: '127.0.0.1' };
  const probe = (path: string, extra: any = {}) => runProbe({ httpGet: { path, port: 'web', ...extra } }, target, { exec: async () => ({ exitCode: 0 }) }, realClock);
  assert.deepEqual(await probe('/ok', { httpHeaders: [{ name: 'X-Probe', value: 'yes' }] }), { ok: true });
  assert.equal(seen.at(-1)!['x-probe'], 'yes');
  assert.match(String(seen.at(-1)!['user-agent']), /^kube-probe\//);
  assert.deepEqual(await probe('/bad'), { ok: false, message: 'HTTP probe failed with statuscode: 500' });
  assert.equal((await probe('/redir')).ok, false, 'same-host redirect followed to a 500');
  assert.equal((await probe('/away')).ok, true, 'redirect elsewhere is not followed and counts as success');
  assert.equal((await probe('/moved')).ok, true);
  assert.equal((await probe('ok')).ok, true, 'path without leading slash');
  const closed = await runProbe({ httpGet: { path: '/', port: 1 } }, target, { exec: async () => ({ exitCode: 0 }) }, realClock);
  assert.equal(closed.ok, false);
  assert.match(closed.message!, /connection refused/);
});

test('tcp probe: open and closed ports', async (t) => {
  const server = net.createServer((s) => s.end());
  const port = await listen(server);
  t.after(() => server.close());
  const target = { pod: pod({}), container: {}, containerId: 'c', podIP: '127.0.0.1' };
  const noExec = { exec: async () => ({ exitCode: 0 }) };
  assert.deepEqual(await runProbe({ tcpSocket: { port } }, target, noExec, realClock), { ok: true });
  const r = await runProbe({ tcpSocket: { port: 1 } }, target, noExec, realClock);
  assert.deepEqual(r, { ok: false, message: 'dial tcp 127.0.0.1:1: connect: connection refused' });
});

test('grpc health: protobuf encoding', () => {
  assert.deepEqual(encodeHealthCheckRequest(''), Buffer.alloc(0));
  assert.deepEqual(encodeHealthCheckRequest('ab'), Buffer.from([0x0a, 2, 0x61, 0x62]));
  assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), 1);
  assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 0);
});

test('grpc probe: SERVING, NOT_SERVING per service', async (t) => {
  const server = new grpc.Server();
  const statuses: Record<string, number> = { '': 1, sick: 2 };
  server.addService(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
        requestSerialize: (s: { service: string }) => encodeHealthCheckRequest(s.service),
        requestDeserialize: (b: Buffer) => ({ service: b.length ? b.subarray(2).toString() : '' }),
        responseSerialize: (n: number) => Buffer.from([0x08, n]),
        responseDeserialize: (b: Buffer) => decodeHealthCheckResponse(b),
      },
    },
    {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
        const s = statuses[call.request.service];
        if (s === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' } as grpc.ServiceError);
        else cb(null, s);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  t.after(() => server.forceShutdown());
  const target = { pod: pod({}), container: {}, containerId: 'c', podIP: '127.0.0.1' };
  const noExec = { exec: async () => ({ exitCode: 0 }) };
  assert.deepEqual(await runProbe({ grpc: { port } }, target, noExec, realClock), { ok: true });
  assert.deepEqual(await runProbe({ grpc: { port, service: 'sick' }, timeoutSeconds: 5 }, target, noExec, realClock), { ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
  const r = await runProbe({ grpc: { port, service: 'other' }, timeoutSeconds: 5 }, target, noExec, realClock);
  assert.equal(r.ok, false);
  assert.match(r.message!, /unknown service/);
});

test('probe manager: http readiness end to end with the fake clock', async (t) => {
  let healthy = false;
  const server = http.createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
  const port = await listen(server);
  t.after(() => server.close());
  const clock = new FakeClock();
  const changes: [string, ProbeKind, boolean][] = [];
  const pm = new ProbeManager({ runtime: { exec: async () => ({ exitCode: 0 }) }, clock, log: silentLogger, onChange: (_u, id, k, ok) => changes.push([id, k, ok]) });
  t.after(() => pm.close());
  pm.sync(pod({ name: 'app', readinessProbe: { httpGet: { port, path: '/' }, periodSeconds: 1, timeoutSeconds: 30 } }), '127.0.0.1', [{ name: 'app', id: 'h1', startedAt: clock.now() }]);
  await clock.advance(0);
  await until(() => clock.pendingDelays().join() === '1000', 'first probe answered');
  assert.equal(pm.ready('h1'), false);
  healthy = true;
  await clock.advance(1000);
  await until(() => pm.ready('h1'), 'ready');
  await flushMicrotasks();
  assert.deepEqual(changes, [['h1', 'readiness', true]]);
});
