import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { silentLogger } from '../../base/log.ts';
import { StreamingServer, latestSandbox, pickContainer, routeOf } from './server.ts';
import { StreamingFakeRuntime, echoExec, rawWebSocket, startEchoServer, testPki, type TestPki } from './testing.ts';
import { formatCriRecord } from './crilog.ts';
import { FLAG_FIN, HeaderCompressor, SpdyFrameReader, dataFrame, synStreamFrame, type RawFrame } from './spdy.ts';

let pki: TestPki;
let dir: string;
let server: StreamingServer;
let port: number;
let echo: { port: number; close(): Promise<void> };
const runtime = new StreamingFakeRuntime();

before(async () => {
  pki = await testPki();
  dir = await mkdtemp(path.join(tmpdir(), 'streaming-srv-'));
  echo = await startEchoServer();
  runtime.portMap.set(80, echo.port);
  runtime.addSandbox({ id: 'sb-old', name: 'web', namespace: 'default', podUid: 'u1', createdAt: 1, state: 'notready' });
  runtime.addSandbox({ id: 'sb1', name: 'web', namespace: 'default', podUid: 'u1', createdAt: 2 });
  const log0 = path.join(dir, '0.log');
  const log1 = path.join(dir, '1.log');
  await writeFile(log0, formatCriRecord('2024-01-01T00:00:00Z', 'stdout', 'old run'));
  await writeFile(log1, Buffer.concat([formatCriRecord('2024-01-01T00:01:00Z', 'stdout', 'line 1'), formatCriRecord('2024-01-01T00:02:00Z', 'stderr', 'line 2')]));
  runtime.addContainer({ id: 'c0', sandboxId: 'sb-old', name: 'main', attempt: 0, state: 'exited', logPath: log0 });
  runtime.addContainer({ id: 'c1', sandboxId: 'sb1', name: 'main', attempt: 1, state: 'exited', logPath: log1 });
  runtime.exec = echoExec(3);
  runtime.stats.set('c1', { timestamp: Date.now(), cpuUsageNanoSeconds: 5, memoryWorkingSetBytes: 10, memoryUsageBytes: 20, memoryRssBytes: 5, rootfsUsedBytes: 1, logsUsedBytes: 2 });
  server = new StreamingServer({ runtime, tls: { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caPem }, nodeName: 'n1', log: silentLogger });
  port = (await server.listen(0, '127.0.0.1')).port;
});

after(async () => {
  await server?.close();
  await echo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function get(p: string, withCert = true): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, ca: pki.caPem, ...(withCert ? { cert: pki.clientCertPem, key: pki.clientKeyPem } : {}) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

function connect(p: string, protocols: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${p}`, protocols, { ca: pki.caPem, cert: pki.clientCertPem, key: pki.clientKeyPem });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function spdyConnect() {
  return rawWebSocket({ host: '127.0.0.1', port, path: '/portForward/default/web', protocol: 'SPDY/3.1+portforward.k8s.io', tls: { ca: pki.caPem, cert: pki.clientCertPem, key: pki.clientKeyPem } });
}

test('pure helpers: routes and name resolution', () => {
  assert.deepEqual(routeOf('/exec/ns/p/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
  assert.deepEqual(routeOf('/portForward/ns/p'), { kind: 'portForward', namespace: 'ns', pod: 'p' });
  assert.equal(routeOf('/exec/ns/p'), undefined);
  assert.equal(latestSandbox(runtime.sandboxes, 'default', 'web')?.id, 'sb1');
  assert.equal(pickContainer(runtime.containers, 'u1', 'main', false)?.id, 'c1');
  assert.equal(pickContainer(runtime.containers, 'u1', 'main', true)?.id, 'c0');
});

test('healthz needs no certificate; everything else does', async () => {
  assert.deepEqual(await get('/healthz', false), { status: 200, body: 'ok' });
  assert.equal((await get('/containerLogs/default/web/main', false)).status, 401);
});

test('containerLogs: current, previous, tail, timestamps, errors', async () => {
  assert.deepEqual(await get('/containerLogs/default/web/main'), { status: 200, body: 'line 1\nline 2\n' });
  assert.deepEqual(await get('/containerLogs/default/web/main?previous=true'), { status: 200, body: 'old run\n' });
  assert.deepEqual(await get('/containerLogs/default/web/main?tailLines=1&timestamps=true'), { status: 200, body: '2024-01-01T00:02:00Z line 2\n' });
  const missing = await get('/containerLogs/default/nope/main');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).message, 'pod "nope" does not exist');
  assert.equal((await get('/containerLogs/default/web/main?tailLines=x')).status, 400);
});

test('stats/summary reports the running containers of ready sandboxes', async () => {
  const c1 = runtime.containers.find((c) => c.id === 'c1')!;
  c1.state = 'running';
  try {
    const s = JSON.parse((await get('/stats/summary')).body);
    assert.equal(s.node.nodeName, 'n1');
    const pod = s.pods.find((p: { podRef: { uid: string } }) => p.podRef.uid === 'u1');
    assert.equal(pod.containers[0].name, 'main');
    assert.equal(pod.containers[0].memory.workingSetBytes, 10);
  } finally {
    c1.state = 'exited';
  }
});

test('exec over v5: stdin echoed to stdout, close signal ends stdin, exit code 3 as Failure status', async () => {
  const ws = await connect('/exec/default/web/main?command=cat&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.equal(ws.protocol, 'v5.channel.k8s.io');
  const frames: Buffer[] = [];
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.on('message', (m: Buffer) => frames.push(m));
  ws.send(Buffer.from([0, ...Buffer.from('hello')]));
  ws.send(Buffer.from([255, 0]));
  assert.equal(await closed, 1000);
  const stdout = Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString();
  assert.equal(stdout, 'hello');
  const status = JSON.parse(frames.find((f) => f[0] === 3)!.subarray(1).toString());
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('exec into a missing container is refused before the upgrade', async () => {
  await assert.rejects(connect('/exec/default/web/other?command=ls&stdout=true', ['v5.channel.k8s.io']), /HTTP 404/);
});

test('port-forward over the channel protocol (client-node)', async () => {
  const ws = await connect('/portForward/default/web?ports=80', ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']);
  assert.equal(ws.protocol, 'v4.channel.k8s.io');
  const frames: Buffer[] = [];
  let wake: () => void = () => {};
  ws.on('message', (m: Buffer) => {
    frames.push(m);
    wake();
  });
  const waitFor = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => (wake = r));
  };
  await waitFor(() => frames.length >= 2);
  assert.deepEqual([...frames[0]!], [0, 80, 0]);
  assert.deepEqual([...frames[1]!], [1, 80, 0]);
  ws.send(Buffer.from([0, ...Buffer.from('ping')]));
  await waitFor(() => Buffer.concat(frames.slice(2).filter((f) => f[0] === 0).map((f) => f.subarray(1))).toString() === 'ping');
  const closed = new Promise((r) => ws.once('close', r));
  ws.close();
  await closed;
});

test('port-forward over SPDY/3.1 tunneled in WebSocket (kubectl)', async () => {
  const { ws, protocol } = await spdyConnect();
  assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
  const reader = new SpdyFrameReader();
  const frames: RawFrame[] = [];
  let wake: () => void = () => {};
  ws.on('message', (m: Buffer) => {
    frames.push(...reader.push(m));
    wake();
  });
  const waitFor = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => (wake = r));
  };
  const c = new HeaderCompressor();
  const H = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
  ws.send(await synStreamFrame(c, 1, H({ streamtype: 'error', port: '80', requestid: '0' }), FLAG_FIN));
  ws.send(await synStreamFrame(c, 3, H({ streamtype: 'data', port: '80', requestid: '0' })));
  ws.send(dataFrame(3, 0, Buffer.from('abc')));
  const dataOn3 = () => frames.filter((f): f is Extract<RawFrame, { control: false }> => !f.control && f.streamId === 3);
  await waitFor(() => Buffer.concat(dataOn3().map((f) => f.data)).toString() === 'abc');
  ws.send(dataFrame(3, FLAG_FIN, Buffer.alloc(0)));
  await waitFor(() => dataOn3().some((f) => (f.flags & FLAG_FIN) !== 0));
  assert.equal(frames.filter((f) => f.control && f.type === 2).length, 2, 'a SYN_REPLY per stream');
  c.close();
  const closed = new Promise((r) => ws.once('close', r));
  ws.close();
  await closed;
});

test('port-forward SPDY: a refused port is reported on the error stream', async () => {
  const { ws } = await spdyConnect();
  const reader = new SpdyFrameReader();
  const frames: RawFrame[] = [];
  let wake: () => void = () => {};
  ws.on('message', (m: Buffer) => {
    frames.push(...reader.push(m));
    wake();
  });
  const c = new HeaderCompressor();
  const H = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
  ws.send(await synStreamFrame(c, 1, H({ streamtype: 'error', port: '81', requestid: '7' }), FLAG_FIN));
  ws.send(await synStreamFrame(c, 3, H({ streamtype: 'data', port: '81', requestid: '7' })));
  const errText = () => Buffer.concat(frames.filter((f): f is Extract<RawFrame, { control: false }> => !f.control && f.streamId === 1).map((f) => f.data)).toString();
  while (!errText().includes('connection refused')) await new Promise<void>((r) => (wake = r));
  assert.match(errText(), /^error forwarding port 81 to pod web_default, uid u1: /);
  c.close();
  ws.close();
});
