// @kubernetes/client-node (2.x) against an in-process apiserver that proxies to a node agent's
// streaming server with a fake runtime: Exec (v5 channels, exit status), PortForward (the pure
// WebSocket channel protocol) and Log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { startProxyCluster, type ProxyCluster } from './testing.ts';
import { echoExec, startEchoServer } from '../../agent/streaming/testing.ts';

let c: ProxyCluster;
let echo: { port: number; close(): Promise<void> };
let kc: k8s.KubeConfig;
before(async () => {
  c = await startProxyCluster();
  echo = await startEchoServer();
  c.runtime.portMap.set(8080, echo.port);
  c.runtime.exec = echoExec(3);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubeconfig);
});
after(async () => {
  await c?.close();
  await echo?.close();
});

test('client-node Exec: stdin, stdout and the exit status', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc).exec('default', 'web', 'main', ['cat'], stdout, null, stdin, false, (st) => resolve(st)).catch(reject);
    stdin.end('from client-node');
  });
  assert.equal(out, 'from client-node');
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('client-node PortForward: channel protocol to the pod port', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let got = '';
  let wake: () => void = () => {};
  output.on('data', (d) => {
    got += d;
    wake();
  });
  const ws = (await new k8s.PortForward(kc).portForward('default', 'web', [8080], output, null, input)) as { close(): void; once(e: string, f: () => void): void };
  input.write('pf data');
  while (got !== 'pf data') await new Promise<void>((r) => (wake = r));
  const closed = new Promise<void>((r) => ws.once('close', r));
  ws.close();
  await closed;
});

test('client-node Log with tailLines', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const ended = new Promise<void>((r) => out.on('end', r));
  await new k8s.Log(kc).log('default', 'web', 'main', out, { tailLines: 1 });
  await ended;
  assert.equal(text, 'second line\n');
});
