// The node agent end to end: a real `skiff server` running its local agent (crun + conmon, CNI
// bridge, overlayfs, cgroups), a real OCI registry (Debian's docker-registry) serving a busybox
// image, and the real kubectl. Every test waits on conditions through kubectl's own watches
// (`kubectl wait`), never on sleeps. The cluster is reset at the end (containers, mounts, netns,
// cgroups, bridge, nft tables) even when a test fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startCluster, destroyCluster, kubectl, kubectlOk, kubectlStream, kubectlWait, KUBECTL, type Cluster } from './harness.ts';
import { startTestRegistry, pushToRegistry, writeOciArchive } from '../../src/agent/images/testimage.ts';

let cluster: Cluster | undefined;
let registry: { url: string; stop(): Promise<void> } | undefined;
let work: string;
let IMG = '';
const LOCAL_IMG = 'skiff.test/local/busybox:air-gapped';

const AGENT_INDEX = 11;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'skiff-e2e-agent-'));
  registry = await startTestRegistry({ dir: path.join(work, 'registry') });
  const host = registry.url.replace(/^https?:\/\//, '');
  await pushToRegistry(registry.url, 'e2e/busybox', 'v1');
  IMG = `${host}/e2e/busybox:v1`;
  // An archive dropped in <data-dir>/agent/images is imported at start (air-gap, as k3s does).
  const dataDir = path.join(work, 'data');
  await mkdir(path.join(dataDir, 'agent', 'images'), { recursive: true });
  await writeOciArchive(path.join(dataDir, 'agent', 'images', 'local.tar'), { name: LOCAL_IMG });
  cluster = await startCluster({ dataDir, agent: { index: AGENT_INDEX } });
  await kubectlOk(cluster, ['wait', '--for=condition=Ready', `node/e2e-node-${AGENT_INDEX}`, '--timeout=60s']);
});

after(async () => {
  try {
    await destroyCluster(cluster);
  } finally {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  }
});

/**
 * kubectl in a real terminal of `rows` x `cols` (util-linux `script` gives it one: -t needs a
 * terminal). `until` polls the output for a pattern with a deadline.
 */
function kubectlInTerminal(args: string[], rows: number, cols: number) {
  const cmd = [KUBECTL, '--kubeconfig', c().kubeconfig, '--cache-dir', path.join(c().dataDir, 'kubectl-cache'), ...args];
  const child = spawn('script', ['-qec', `stty rows ${rows} cols ${cols}; ${cmd.join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    output: () => out,
    type: (line: string) => child.stdin.write(`${line}\r`),
    async until(re: RegExp): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!re.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in the output: ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 50)); // polling a condition with a deadline
      }
    },
    kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}

function c(): Cluster {
  assert.ok(cluster, 'cluster started');
  return cluster;
}

async function apply(yaml: string): Promise<void> {
  await kubectlOk(c(), ['apply', '-f', '-'], yaml.replaceAll('IMAGE', IMG));
}

function waitFor(what: string, cond: string, timeout = '90s'): Promise<void> {
  return kubectlWait(c(), what, cond, timeout);
}

async function jsonpath(what: string, expr: string): Promise<string> {
  return kubectlOk(c(), ['get', what, '-o', `jsonpath=${expr}`]);
}

test('two containers share localhost; logs, exec, cp and port-forward reach them', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: IMAGE
    command: [sh, -c, 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www']
  - name: client
    image: IMAGE
    command: [sh, -c, 'until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; echo fetched; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.5; done']
`);
  await waitFor('pod/web', 'condition=Ready');
  const ip = await jsonpath('pod/web', '{.status.podIP}');
  assert.match(ip, new RegExp(`^10\\.77\\.${AGENT_INDEX}\\.\\d+$`));

  const follow = kubectlStream(c(), ['logs', '-f', 'web', '-c', 'client']);
  try {
    await follow.waitFor(/hello-from-pod\nfetched\n/);
    await follow.waitFor(/tick-3\n/);
  } finally {
    await follow.stop();
  }

  assert.equal((await kubectlOk(c(), ['exec', 'web', '-c', 'client', '--', 'hostname'])).trim(), 'web');
  const failed = await kubectl(c(), ['exec', 'web', '-c', 'httpd', '--', 'sh', '-c', 'echo out; exit 3']);
  assert.equal(failed.code, 3);
  assert.equal(failed.stdout, 'out\n');
  const piped = await kubectlOk(c(), ['exec', '-i', 'web', '-c', 'client', '--', 'cat'], 'through-stdin\n');
  assert.equal(piped, 'through-stdin\n');

  const local = path.join(work, 'copied.html');
  await kubectlOk(c(), ['cp', '-c', 'httpd', 'web:/www/index.html', local]);
  assert.equal(await readFile(local, 'utf8'), 'hello-from-pod\n');
  await writeFile(path.join(work, 'upload.txt'), 'uploaded\n');
  await kubectlOk(c(), ['cp', '-c', 'httpd', path.join(work, 'upload.txt'), 'web:/www/upload.txt']);
  assert.equal(await kubectlOk(c(), ['exec', 'web', '-c', 'client', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/upload.txt']), 'uploaded\n');

  const pf = kubectlStream(c(), ['port-forward', 'pod/web', ':8080']);
  try {
    const m = await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const res = await fetch(`http://127.0.0.1:${m[1]}/`);
    assert.equal(await res.text(), 'hello-from-pod\n');
  } finally {
    await pf.stop();
  }
  await kubectlOk(c(), ['delete', 'pod', 'web', '--wait=true']);
});

test('kubectl attach -i forwards stdin to a stdinOnce container, which then completes', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: attacher}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: IMAGE, stdin: true, stdinOnce: true, command: [sh, -c, 'read line; echo got:$line; sleep 1']}
`);
  // Ready means running: the shell is then waiting in `read` for the attached input
  await waitFor('pod/attacher', 'condition=Ready');
  const r = await kubectl(c(), ['attach', '-i', 'attacher', '-c', 'main'], 'hello\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got:hello\n/);
  await waitFor('pod/attacher', 'jsonpath={.status.phase}=Succeeded');
  assert.equal(await jsonpath('pod/attacher', '{.status.containerStatuses[0].state.terminated.exitCode}'), '0');
  await kubectlOk(c(), ['delete', 'pod', 'attacher', '--wait=true']);
});

test('kubectl attach -it: a shell on a tty container answers keystrokes, sees the terminal size, and exits', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: ttyattach}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: IMAGE, stdin: true, tty: true, command: [sh]}
`);
  await waitFor('pod/ttyattach', 'condition=Ready');
  const term = kubectlInTerminal(['attach', '-it', 'ttyattach', '-c', 'main'], 22, 77);
  try {
    await term.until(/If you don't see a command prompt/);
    // kubectl sends size+1, then the size: wait (10 s at most) until the shell sees the last one
    term.type('echo sum=$((40+2)); i=0; while [ "$(stty size)" != "22 77" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo size=$(stty size)');
    await term.until(/sum=42\r\nsize=22 77\r\n/);
    term.type('exit 0');
    assert.equal(await term.exited, 0, term.output());
  } finally {
    term.kill();
  }
  await waitFor('pod/ttyattach', 'jsonpath={.status.phase}=Succeeded');
  await kubectlOk(c(), ['delete', 'pod', 'ttyattach', '--wait=true']);
});

test('kubectl exec -it: the shell sees the client terminal size and answers keystrokes', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: ttyexec}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: IMAGE, command: [sleep, '3600']}
`);
  await waitFor('pod/ttyexec', 'condition=Ready');
  const term = kubectlInTerminal(['exec', '-it', 'ttyexec', '--', 'sh'], 23, 81);
  try {
    // the size may reach the shell just after it starts (stty fails while it is still 0x0)
    term.type('echo sum=$((40+2)); i=0; while [ "$(stty size 2>/dev/null)" != "23 81" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo size=$(stty size)');
    await term.until(/sum=42\r\nsize=23 81\r\n/);
    term.type('exit 3');
    assert.equal(await term.exited, 3, term.output());
  } finally {
    term.kill();
  }
  await kubectlOk(c(), ['delete', 'pod', 'ttyexec', '--wait=true']);
});

test('init containers run in order and feed an emptyDir', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: inits}
spec:
  terminationGracePeriodSeconds: 0
  initContainers:
  - {name: first, image: IMAGE, command: [sh, -c, 'echo one >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: IMAGE, command: [sh, -c, 'echo two >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'cat /work/order; exec sleep 3600'], volumeMounts: [{name: work, mountPath: /work}]}
  volumes: [{name: work, emptyDir: {}}]
`);
  await waitFor('pod/inits', 'condition=Ready');
  assert.equal(await kubectlOk(c(), ['logs', 'inits', '-c', 'main']), 'one\ntwo\n');
  assert.equal(await jsonpath('pod/inits', '{.status.initContainerStatuses[*].state.terminated.reason}'), 'Completed Completed');
  await kubectlOk(c(), ['delete', 'pod', 'inits', '--wait=true']);
});

test('a failing liveness probe restarts the container; readiness drives Ready both ways', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: probes}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: live
    image: IMAGE
    command: [sh, -c, 'touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600']
    livenessProbe: {exec: {command: [test, -f, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 1}
  - name: ready
    image: IMAGE
    command: [sh, -c, 'exec sleep 3600']
    readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1}
`);
  await waitFor('pod/probes', "jsonpath={.status.containerStatuses[?(@.name=='live')].restartCount}=1");
  assert.equal(await jsonpath('pod/probes', '{.status.conditions[?(@.type=="Ready")].status}'), 'False');
  await kubectlOk(c(), ['exec', 'probes', '-c', 'ready', '--', 'touch', '/tmp/ready']);
  await waitFor('pod/probes', "jsonpath={.status.containerStatuses[?(@.name=='ready')].ready}=true");
  await kubectlOk(c(), ['exec', 'probes', '-c', 'ready', '--', 'rm', '/tmp/ready']);
  await waitFor('pod/probes', "jsonpath={.status.containerStatuses[?(@.name=='ready')].ready}=false");
  const events = await kubectlOk(c(), ['get', 'events', '--field-selector', 'involvedObject.name=probes', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events, /Unhealthy/);
  assert.match(events, /Killing/);
  await kubectlOk(c(), ['delete', 'pod', 'probes', '--wait=true']);
});

test('deletion runs preStop before TERM, and kills a TERM-ignoring container at the grace period', async () => {
  const shared = path.join(work, 'prestop');
  await mkdir(shared, { recursive: true });
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 20
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'trap "echo term >> /shared/log; exit 0" TERM; echo started >> /shared/log; while true; do sleep 0.2; done']
    lifecycle: {preStop: {exec: {command: [sh, -c, 'echo prestop >> /shared/log']}}}
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes: [{name: shared, hostPath: {path: ${shared}, type: Directory}}]
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'trap "" TERM; while true; do sleep 0.2; done']}
`);
  await waitFor('pod/graceful', 'condition=Ready');
  await waitFor('pod/stubborn', 'condition=Ready');
  await kubectlOk(c(), ['delete', 'pod', 'graceful', '--wait=true']);
  assert.equal(await readFile(path.join(shared, 'log'), 'utf8'), 'started\nprestop\nterm\n');

  const t0 = Date.now();
  await kubectlOk(c(), ['delete', 'pod', 'stubborn', '--wait=true']);
  const took = Date.now() - t0;
  assert.ok(took >= 2000, `killed only after the 2 s grace period (took ${took} ms)`);
  assert.ok(took < 20_000, `killed at the grace period, not later (took ${took} ms)`);
});

test('OOMKilled, CrashLoopBackOff, and restartPolicy Never pods ending Succeeded and Failed', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'x=$(head -c 200000000 /dev/zero | tr "\\\\0" a); echo survived']
    resources: {limits: {memory: 32Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: crashy}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'echo crashing; exit 1']}
---
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'echo done']}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'exit 3']}
`);
  await waitFor('pod/oom', "jsonpath={.status.containerStatuses[0].state.terminated.reason}=OOMKilled");
  assert.equal(await jsonpath('pod/oom', '{.status.containerStatuses[0].state.terminated.exitCode}'), '137');
  await waitFor('pod/crashy', "jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff");
  assert.equal(await kubectlOk(c(), ['logs', 'crashy', '--previous']), 'crashing\n');
  await waitFor('pod/ok', 'jsonpath={.status.phase}=Succeeded');
  assert.equal(await jsonpath('pod/ok', '{.status.containerStatuses[0].state.terminated.reason}'), 'Completed');
  await waitFor('pod/bad', 'jsonpath={.status.phase}=Failed');
  assert.equal(await jsonpath('pod/bad', '{.status.containerStatuses[0].state.terminated.exitCode}'), '3');
  assert.equal(await jsonpath('pod/bad', '{.status.containerStatuses[0].state.terminated.reason}'), 'Error');
  await kubectlOk(c(), ['delete', 'pod', 'oom', 'crashy', 'ok', 'bad', '--wait=true']);
});

test('env and volumes from a ConfigMap and a Secret, the downward API, and the termination message', async () => {
  await kubectlOk(c(), ['create', 'configmap', 'cfg', '--from-literal=greeting=hi', '--from-literal=color=blue']);
  await kubectlOk(c(), ['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cret']);
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: inputs, labels: {tier: web}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'echo "$GREETING $(cat /cfg/color) $(cat /sec/password) $MYNS $(cat /info/labels)"; echo "bye now" > /dev/termination-log; exit 2']
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}
    - {name: MYNS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: sec, mountPath: /sec}
    - {name: info, mountPath: /info}
  volumes:
  - {name: cfg, configMap: {name: cfg}}
  - {name: sec, secret: {secretName: sec}}
  - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
`);
  await waitFor('pod/inputs', 'jsonpath={.status.phase}=Failed');
  assert.equal(await kubectlOk(c(), ['logs', 'inputs']), 'hi blue s3cret default tier="web"\n');
  assert.equal(await jsonpath('pod/inputs', '{.status.containerStatuses[0].state.terminated.message}'), 'bye now\n');
  assert.equal(await jsonpath('pod/inputs', '{.status.containerStatuses[0].state.terminated.exitCode}'), '2');
  await kubectlOk(c(), ['delete', 'pod', 'inputs', '--wait=true']);
});

test('fsGroup: a non-root container reads a 0440 secret through the group and its new files in an emptyDir get the group', async () => {
  await kubectlOk(c(), ['create', 'secret', 'generic', 'fsg', '--from-literal=key=opensesame']);
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: fsgroup}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'echo "groups=$(id -G) key=$(cat /s/key)"; touch /data/new && echo "new=$(stat -c %g /data/new) dir=$(stat -c %g:%a /data)"']
    volumeMounts:
    - {name: s, mountPath: /s}
    - {name: data, mountPath: /data}
  volumes:
  - {name: s, secret: {secretName: fsg, defaultMode: 0440}}
  - {name: data, emptyDir: {}}
`);
  await waitFor('pod/fsgroup', 'jsonpath={.status.phase}=Succeeded');
  assert.equal(await kubectlOk(c(), ['logs', 'fsgroup']), 'groups=3000 2000 key=opensesame\nnew=2000 dir=2000:2777\n');
  await kubectlOk(c(), ['delete', 'pod', 'fsgroup', '--wait=true']);
});

test('imagePullPolicy Never: a missing image is ErrImageNeverPull, an imported one runs', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: neverpull}
spec:
  containers:
  - {name: main, image: skiff.test/not/there:v1, imagePullPolicy: Never}
---
apiVersion: v1
kind: Pod
metadata: {name: airgapped}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: ${LOCAL_IMG}, imagePullPolicy: Never, command: [sh, -c, 'echo local; exec sleep 3600']}
`);
  await waitFor('pod/neverpull', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}=ErrImageNeverPull');
  assert.match(await jsonpath('pod/neverpull', '{.status.containerStatuses[0].state.waiting.message}'), /not present with pull policy of Never/);
  await waitFor('pod/airgapped', 'condition=Ready');
  await kubectlOk(c(), ['delete', 'pod', 'neverpull', 'airgapped', '--wait=true']);
});

test('an agent restart keeps containers running and re-adopts them with zero restarts', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: survivor}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'echo up; exec sleep 3600']}
`);
  await waitFor('pod/survivor', 'condition=Ready');
  const before = await jsonpath('pod/survivor', '{.status.containerStatuses[0].containerID}');
  const started = await jsonpath('pod/survivor', '{.status.containerStatuses[0].state.running.startedAt}');
  const old = c();
  assert.equal(await old.stop(), 0);
  cluster = await startCluster({ dataDir: old.dataDir, agent: { index: AGENT_INDEX } });
  // The restarted agent reports again (a fresh heartbeat), and the pod is unchanged.
  await waitFor(`node/e2e-node-${AGENT_INDEX}`, 'condition=Ready');
  await waitFor('pod/survivor', 'condition=Ready');
  assert.equal(await jsonpath('pod/survivor', '{.status.containerStatuses[0].containerID}'), before);
  assert.equal(await jsonpath('pod/survivor', '{.status.containerStatuses[0].restartCount}'), '0');
  assert.equal(await jsonpath('pod/survivor', '{.status.containerStatuses[0].state.running.startedAt}'), started);
  assert.equal(await kubectlOk(c(), ['logs', 'survivor']), 'up\n');
  await kubectlOk(c(), ['delete', 'pod', 'survivor', '--wait=true']);
});
