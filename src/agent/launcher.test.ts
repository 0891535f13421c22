import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLine, Launcher, LaunchError, shellQuote } from './launcher.ts';

test('shellQuote leaves plain words and quotes the rest', () => {
  assert.equal(shellQuote('/usr/bin/crun'), '/usr/bin/crun');
  assert.equal(shellQuote('a b'), `'a b'`);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  assert.equal(shellQuote(''), `''`);
});

test('commandLine refuses environment names the shell cannot export', () => {
  assert.throws(() => commandLine(1, { cmd: 'true', args: [], env: { 'A;rm': 'x' } }, '/tmp/x'), /invalid environment variable name/);
});

test('a launched program gets its arguments, environment, stdin and cwd; output and status come back', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'launch-cwd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = `read line; echo "in=$line arg=$1 env=$FOO_BAR pwd=$(pwd)"; echo oops >&2; exit 3`;
  const r = await l.launch({ cmd: 'sh', args: ['-c', script, 'sh', `it's "quoted" $HOME`], env: { FOO_BAR: 'x y' }, input: 'hello\nworld\n', cwd: dir });
  assert.equal(r.status, 3);
  assert.equal(r.stdout, `in=hello arg=it's "quoted" $HOME env=x y pwd=${dir}\n`);
  assert.equal(r.stderr, 'oops\n');
  assert.equal(r.timedOut, false);
  await assert.rejects(l.run('sh', ['-c', 'echo bad >&2; exit 2']), (e: unknown) => e instanceof LaunchError && e.status === 2 && /bad/.test(e.message));
  assert.equal((await l.run('echo', ['ok'])).stdout, 'ok\n');
});

test('many programs run at once and each gets its own result', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => l.launch({ cmd: 'sh', args: ['-c', `echo ${i}; exit ${i % 7}`] })));
  results.forEach((r, i) => {
    assert.equal(r.stdout, `${i}\n`);
    assert.equal(r.status, i % 7);
  });
});

test('a program past its timeout is killed', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  const r = await l.launch({ cmd: 'sleep', args: ['30'], timeoutMs: 100 });
  assert.equal(r.timedOut, true);
  assert.equal(r.status, 128 + 9);
});

test('firstLineOfFd3 captures the first line written to fd 3 while the program lives on', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'launch-fd3-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'later');
  // writes its answer, then a daemon child keeps running (as conmon does) and writes a file later
  const script = `echo noise; echo '{"data": 42}' >&3; (sleep 0.2; touch ${marker}) & exit 0`;
  const r = await l.launch({ cmd: 'sh', args: ['-c', script], firstLineOfFd3: true });
  assert.equal(r.stdout, '{"data": 42}\n');
  assert.equal(existsSync(marker), false, 'the launch returned without waiting for the daemon');
});

test('a dead helper shell is replaced on the next launch; close removes the temp directory', async () => {
  const l = new Launcher();
  assert.equal((await l.run('echo', ['one'])).stdout, 'one\n');
  const helperPid = (l as unknown as { helper: { pid: number } }).helper.pid;
  const exited = new Promise((r) => (l as unknown as { helper: NodeJS.EventEmitter }).helper.once('exit', r));
  process.kill(helperPid, 'SIGKILL');
  await exited;
  assert.equal((await l.run('echo', ['two'])).stdout, 'two\n');
  const dir = (l as unknown as { dir: string }).dir;
  assert.equal(existsSync(dir), true);
  await l.close();
  assert.equal(existsSync(dir), false);
  await assert.rejects(l.launch({ cmd: 'true', args: [] }), /closed/);
});

test('the helper removes its temp directory when its owner goes away without close()', async () => {
  const { spawn } = await import('node:child_process');
  const code = `import { Launcher } from ${JSON.stringify(path.resolve('src/agent/launcher.ts'))};
const l = new Launcher(); await l.run('true', []); console.log((l as any).dir);`;
  const child = spawn(process.execPath, ['--input-type=module-typescript', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  await new Promise((r) => child.on('close', r));
  const dir = out.trim();
  assert.match(dir, /skiff-launch-/);
  const deadline = Date.now() + 5000;
  while (existsSync(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(existsSync(dir), false);
});

test('a launcher that never runs anything leaves no directory behind', async () => {
  const l = new Launcher();
  const dir = (l as unknown as { dir: string }).dir;
  assert.equal(existsSync(dir), false);
  await l.close();
  assert.equal(existsSync(dir), false);
});
