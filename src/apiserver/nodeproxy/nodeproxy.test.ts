import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import { WebSocket } from 'ws';
import type { KubeObject } from '../../api/types.ts';
import { agentError, logStatusError, nodeEndpoint, validateContainer } from './nodeproxy.ts';
import { startProxyCluster, type ProxyCluster } from './testing.ts';
import { echoExec, rawWebSocket, startEchoServer } from '../../agent/streaming/testing.ts';
import { FLAG_FIN, HeaderCompressor, SpdyFrameReader, dataFrame, synStreamFrame, type RawFrame } from '../../agent/streaming/spdy.ts';

const pod = (spec: object, status: object = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec, status }) as KubeObject;

test('validateContainer: default, required name, unknown name (upstream wording)', () => {
  assert.equal(validateContainer(pod({ containers: [{ name: 'a' }] }), null), 'a');
  assert.throws(() => validateContainer(pod({ containers: [{ name: 'a' }, { name: 'b' }] }), null), /a container name must be specified for pod web, choose one of: \[a b\]/);
  assert.throws(() => validateContainer(pod({ containers: [{ name: 'a' }] }), 'x'), (e: Error & { httpCode?: number }) => e.httpCode === 400 && e.message === 'container x is not valid for pod web');
  assert.equal(validateContainer(pod({ initContainers: [{ name: 'init' }], containers: [{ name: 'a' }] }), 'init'), 'init');
});

test('logStatusError: the kubelet messages for waiting, terminated, previous', () => {
  const p = (cs: object) => pod({ containers: [{ name: 'main' }] }, { containerStatuses: [{ name: 'main', ...cs }] });
  assert.equal(logStatusError(p({ state: { waiting: { reason: 'ContainerCreating' } } }), 'main', false), 'container "main" in pod "web" is waiting to start: ContainerCreating');
  assert.equal(logStatusError(p({ state: { waiting: { reason: 'ImagePullBackOff' } } }), 'main', false), 'container "main" in pod "web" is waiting to start: trying and failing to pull image');
  assert.equal(logStatusError(p({ state: { running: {} } }), 'main', false), undefined);
  assert.equal(logStatusError(p({ state: { running: {} } }), 'main', true), 'previous terminated container "main" in pod "web" not found');
  assert.equal(logStatusError(p({ state: { running: {} }, lastState: { terminated: { containerID: 'x' } } }), 'main', true), undefined);
  assert.equal(logStatusError(p({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { containerID: 'x' } } }), 'main', false), undefined);
  assert.equal(logStatusError(pod({ containers: [{ name: 'main' }] }), 'main', false), 'container "main" in pod "web" is waiting to start: ContainerCreating');
});

test('nodeEndpoint and agentError', () => {
  const node = { metadata: { name: 'n' }, status: { addresses: [{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '10.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1234 } } } } as KubeObject;
  assert.deepEqual(nodeEndpoint(node), { host: '10.0.0.1', port: 1234 });
  assert.deepEqual(nodeEndpoint({ metadata: { name: 'n' }, status: { addresses: [{ type: 'Hostname', address: 'h' }] } } as KubeObject), { host: 'h', port: 10250 });
  assert.equal(nodeEndpoint({ metadata: { name: 'n' } } as KubeObject), undefined);
  const e = agentError(404, JSON.stringify({ kind: 'Status', message: 'pod "x" does not exist', reason: 'NotFound' }));
  assert.equal(e.httpCode, 404);
  assert.equal(e.message, 'pod "x" does not exist');
  assert.equal(agentError(400, 'plain text\n').message, 'plain text');
});

let c: ProxyCluster;
let echo: { port: number; close(): Promise<void> };
before(async () => {
  c = await startProxyCluster();
  echo = await startEchoServer();
  c.runtime.portMap.set(8080, echo.port);
  c.runtime.exec = echoExec(3);
});
after(async () => {
  await c?.close();
  await echo?.close();
});

function get(p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: c.apiPort, path: p, ca: c.pki.caCertPem, cert: c.pki.adminCertPem, key: c.pki.adminKeyPem }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

test('pods/log through the apiserver: body streamed from the agent; errors as Status', async () => {
  assert.deepEqual(await get('/api/v1/namespaces/default/pods/web/log?container=main'), { status: 200, body: 'hello from main\nsecond line\n' });
  assert.deepEqual(await get('/api/v1/namespaces/default/pods/web/log?tailLines=1&timestamps=true'), { status: 200, body: '2024-01-01T00:00:02Z second line\n' });
  const bad = await get('/api/v1/namespaces/default/pods/web/log?container=nope');
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).message, 'container nope is not valid for pod web');
  assert.equal((await get('/api/v1/namespaces/default/pods/missing/log')).status, 404);
  const prev = await get('/api/v1/namespaces/default/pods/web/log?previous=true');
  assert.equal(prev.status, 400);
  assert.equal(JSON.parse(prev.body).message, 'previous terminated container "main" in pod "web" not found');
});

test('pods/exec through the apiserver: WebSocket passthrough, exit code 3 as Failure', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${c.apiPort}/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true&stdout=true&container=main`, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
    ca: c.pki.caCertPem,
    cert: c.pki.adminCertPem,
    key: c.pki.adminKeyPem,
  });
  const frames: Buffer[] = [];
  ws.on('message', (m: Buffer) => frames.push(m));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  assert.equal(ws.protocol, 'v5.channel.k8s.io');
  const closed = new Promise((r) => ws.once('close', r));
  ws.send(Buffer.from([0, ...Buffer.from('through the proxy')]));
  ws.send(Buffer.from([255, 0]));
  await closed;
  assert.equal(Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString(), 'through the proxy');
  const status = JSON.parse(frames.find((f) => f[0] === 3)!.subarray(1).toString());
  assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('pods/exec errors before the upgrade: bad container, unscheduled pod, no upgrade', async () => {
  const tls = { ca: c.pki.caCertPem, cert: c.pki.adminCertPem, key: c.pki.adminKeyPem };
  await assert.rejects(
    rawWebSocket({ host: '127.0.0.1', port: c.apiPort, path: '/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true&container=nope', protocol: 'v5.channel.k8s.io', tls }),
    /HTTP 400: .*container nope is not valid for pod web/,
  );
  await c.api.store('', 'v1', 'pods')!.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'x' }] } });
  await assert.rejects(
    rawWebSocket({ host: '127.0.0.1', port: c.apiPort, path: '/api/v1/namespaces/default/pods/pending/exec?command=ls&stdout=true', protocol: 'v5.channel.k8s.io', tls }),
    /HTTP 400: .*pod pending does not have a host assigned/,
  );
  const plain = await get('/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true');
  assert.equal(plain.status, 400);
  assert.equal(JSON.parse(plain.body).message, 'Upgrade request required');
});

test('pods/portforward through the apiserver: SPDY/3.1 tunneled in WebSocket reaches the pod port', async () => {
  const { ws, protocol } = await rawWebSocket({
    host: '127.0.0.1',
    port: c.apiPort,
    path: '/api/v1/namespaces/default/pods/web/portforward',
    protocol: 'SPDY/3.1+portforward.k8s.io',
    tls: { ca: c.pki.caCertPem, cert: c.pki.adminCertPem, key: c.pki.adminKeyPem },
  });
  assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
  const reader = new SpdyFrameReader();
  const frames: RawFrame[] = [];
  let wake: () => void = () => {};
  ws.on('message', (m: Buffer) => {
    frames.push(...reader.push(m));
    wake();
  });
  const H = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
  const comp = new HeaderCompressor();
  ws.send(await synStreamFrame(comp, 1, H({ streamtype: 'error', port: '8080', requestid: '0' }), FLAG_FIN));
  ws.send(await synStreamFrame(comp, 3, H({ streamtype: 'data', port: '8080', requestid: '0' })));
  ws.send(dataFrame(3, 0, Buffer.from('echo me')));
  const text = () => Buffer.concat(frames.filter((f): f is Extract<RawFrame, { control: false }> => !f.control && f.streamId === 3).map((f) => f.data)).toString();
  while (text() !== 'echo me') await new Promise<void>((r) => (wake = r));
  comp.close();
  const closed = new Promise((r) => ws.once('close', r));
  ws.close();
  await closed;
});
