// The real kubectl 1.32 against an in-process apiserver that proxies to a node agent's streaming
// server with a fake runtime: logs, exec (stdin, exit code) and port-forward (SPDY over
// WebSocket) exactly as users run them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { access, appendFile } from 'node:fs/promises';
import * as net from 'node:net';
import { startProxyCluster, type ProxyCluster } from './testing.ts';
import { echoExec, startEchoServer } from '../../agent/streaming/testing.ts';
import { formatCriRecord } from '../../agent/streaming/crilog.ts';

const KUBECTL = process.env.KUBECTL_132 ?? process.env.KUBECTL ?? '/usr/bin/kubectl';
const haveKubectl = await access(KUBECTL).then(
  () => true,
  () => false,
);

let c: ProxyCluster;
let echo: { port: number; close(): Promise<void> };
before(async () => {
  if (!haveKubectl) return;
  c = await startProxyCluster();
  echo = await startEchoServer();
  c.runtime.portMap.set(8080, echo.port);
  c.runtime.exec = echoExec(3);
});
after(async () => {
  await c?.close();
  await echo?.close();
});

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(KUBECTL, ['--kubeconfig', c.kubeconfig, ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

test('kubectl logs, with --tail and --timestamps', { skip: !haveKubectl && `no ${KUBECTL}` }, async () => {
  assert.deepEqual(await kubectl(['logs', 'web']), { code: 0, stdout: 'hello from main\nsecond line\n', stderr: '' });
  assert.equal((await kubectl(['logs', 'web', '--tail=1', '--timestamps'])).stdout, '2024-01-01T00:00:02Z second line\n');
  const bad = await kubectl(['logs', 'web', '--previous']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /previous terminated container "main" in pod "web" not found/);
});

test('kubectl exec -i: stdin reaches the process, stdout comes back, exit code 3 is kubectl\'s', { skip: !haveKubectl && `no ${KUBECTL}` }, async () => {
  const r = await kubectl(['exec', '-i', 'web', '--', 'cat'], 'hi there\n');
  assert.equal(r.stdout, 'hi there\n');
  assert.match(r.stderr, /command terminated with exit code 3/);
  assert.equal(r.code, 3);
});

test('kubectl port-forward: SPDY over WebSocket to the pod port, several connections', { skip: !haveKubectl && `no ${KUBECTL}` }, async () => {
  const p = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, 'port-forward', 'pod/web', ':8080', '--address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
      p.stdout.on('data', (d) => {
        out += d;
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${err}`)));
    });
    for (const payload of [Buffer.from('hello 1'), Buffer.alloc(300_000, 'x')]) {
      const s = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let got = 0;
      await new Promise<void>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          chunks.push(d);
          got += d.length;
          if (got >= payload.length) resolve();
        });
        s.on('error', reject);
        s.write(payload);
      });
      assert.ok(Buffer.concat(chunks).equals(payload));
      s.destroy();
    }
  } finally {
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
});

test('kubectl logs -f: follows appended lines and exits 0 when the container exits', { skip: !haveKubectl && `no ${KUBECTL}` }, async () => {
  const p = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, 'logs', '-f', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  const main = c.runtime.containers.find((x) => x.id === 'c1')!;
  try {
    let out = '';
    let wake: () => void = () => {};
    p.stdout.on('data', (d) => {
      out += d;
      wake();
    });
    const waitFor = async (s: string) => {
      while (!out.includes(s)) await new Promise<void>((r) => (wake = r));
    };
    await waitFor('second line\n');
    await appendFile(c.logPath, formatCriRecord(new Date(), 'stdout', 'appended'));
    await waitFor('appended\n');
    main.state = 'exited';
    assert.equal(await exited, 0);
    assert.equal(out, 'hello from main\nsecond line\nappended\n');
  } finally {
    main.state = 'running';
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await exited;
  }
});
