// End-to-end: the local agent as `npm start` runs it, without --node-ip: it reports the machine's
// own address as InternalIP, and the apiserver reaches it there over TLS (kubectl logs), so the
// server certificate the agent serves with must name that address.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultNodeIP } from '../../src/agent/node.ts';
import { writeOciArchive } from '../../src/agent/images/testimage.ts';
import { startCluster, destroyCluster, kubectlOk, type Cluster } from './harness.ts';

const INDEX = 12;
const IMAGE = 'skiff.test/defaults/busybox:v1';
let c: Cluster | undefined;
after(async () => {
  await destroyCluster(c);
});

test('without --node-ip the node reports the machine address, and kubectl logs reaches the agent there', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skiff-e2e-defaults-'));
  await writeOciArchive(path.join(dataDir, 'agent', 'images', 'local.tar'), { name: IMAGE });
  c = await startCluster({ dataDir, agent: { index: INDEX, nodeIP: null } });
  const K = (args: string[]) => kubectlOk(c!, args);
  const expected = defaultNodeIP(`skiffe2e${INDEX}`);
  const ip = await K(['get', 'node', `e2e-node-${INDEX}`, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']);
  assert.equal(ip, expected);
  await K(['run', 'hello', `--image=${IMAGE}`, '--image-pull-policy=Never', '--restart=Never', '--', 'sh', '-c', 'echo hello from the node']);
  await K(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/hello', '--timeout=60s']);
  assert.equal(await K(['logs', 'hello']), 'hello from the node\n');
});
