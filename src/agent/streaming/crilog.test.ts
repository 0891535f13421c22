import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CriLineDecoder, formatCriRecord, parseCriRecord, readCriLog, type LogReadOptions } from './crilog.ts';

const T = (s: number) => `2024-01-02T03:04:${String(s).padStart(2, '0')}.123456789Z`;

const LOG = Buffer.concat([
  formatCriRecord(T(1), 'stdout', 'one'),
  formatCriRecord(T(2), 'stderr', 'two'),
  formatCriRecord(T(3), 'stdout', 'thr', false),
  formatCriRecord(T(3), 'stdout', 'ee'),
  formatCriRecord(T(4), 'stdout', 'four'),
]);

async function withLog(content: Buffer, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'crilog-'));
  try {
    const file = path.join(dir, '0.log');
    await writeFile(file, content);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(file: string, opts: LogReadOptions, ctl = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await readCriLog(file, opts, { write: async (c) => void chunks.push(c) }, ctl);
  return Buffer.concat(chunks).toString();
}

test('parseCriRecord: fields, partial tag, empty line, malformed', () => {
  const r = parseCriRecord(Buffer.from(`${T(1)} stderr P hello world`))!;
  assert.equal(r.stream, 'stderr');
  assert.equal(r.full, false);
  assert.equal(r.text.toString(), 'hello world');
  assert.equal(r.time, T(1));
  assert.equal(parseCriRecord(Buffer.from(`${T(1)} stdout F`))!.text.length, 0);
  assert.equal(parseCriRecord(Buffer.from('garbage')), undefined);
  assert.equal(parseCriRecord(Buffer.from(`${T(1)} stdin F x`)), undefined);
});

test('decoder joins partial records per stream and across chunk boundaries', () => {
  const d = new CriLineDecoder();
  const bytes = LOG;
  const lines = [...d.push(bytes.subarray(0, 50)), ...d.push(bytes.subarray(50, 51)), ...d.push(bytes.subarray(51))];
  assert.deepEqual(
    lines.map((l) => `${l.stream}:${l.text}`),
    ['stdout:one', 'stderr:two', 'stdout:three', 'stdout:four'],
  );
  assert.equal(lines[2]!.time, T(3));
});

test('readCriLog: whole log, timestamps, tail, since, limitBytes, stream', async () => {
  await withLog(LOG, async (file) => {
    assert.equal(await read(file, {}), 'one\ntwo\nthree\nfour\n');
    assert.equal(await read(file, { timestamps: true, tailLines: 1 }), `${T(4)} four\n`);
    assert.equal(await read(file, { tailLines: 2 }), 'three\nfour\n');
    assert.equal(await read(file, { tailLines: 0 }), '');
    assert.equal(await read(file, { tailLines: 10 }), 'one\ntwo\nthree\nfour\n');
    assert.equal(await read(file, { sinceTimeMs: Date.parse(T(3)) }), 'three\nfour\n');
    assert.equal(await read(file, { limitBytes: 6 }), 'one\ntw');
    assert.equal(await read(file, { stream: 'Stderr' }), 'two\n');
    assert.equal(await read(file, { sinceTimeMs: Date.parse(T(2)), tailLines: 1, stream: 'Stdout' }), 'four\n');
  });
});

test('readCriLog: an unfinished partial line at the end is printed without newline', async () => {
  await withLog(Buffer.concat([formatCriRecord(T(1), 'stdout', 'a'), formatCriRecord(T(2), 'stdout', 'b', false)]), async (file) => {
    assert.equal(await read(file, {}), 'a\nb');
  });
});

test('readCriLog follow: streams appended lines until the container stops running', async () => {
  await withLog(formatCriRecord(T(1), 'stdout', 'first'), async (file) => {
    let running = true;
    const got: string[] = [];
    let wake: () => void = () => {};
    const done = readCriLog(
      file,
      { follow: true },
      {
        write: async (c) => {
          got.push(c.toString());
          wake();
        },
      },
      { pollMs: 5, isRunning: async () => running },
    );
    const waitFor = async (n: number) => {
      while (got.length < n) await new Promise<void>((r) => (wake = r));
    };
    await waitFor(1);
    await appendFile(file, formatCriRecord(T(2), 'stdout', 'second'));
    await waitFor(2);
    await appendFile(file, formatCriRecord(T(3), 'stdout', 'third'));
    running = false;
    await done;
    assert.deepEqual(got, ['first\n', 'second\n', 'third\n']);
  });
});

test('readCriLog follow ends when the signal aborts', async () => {
  await withLog(formatCriRecord(T(1), 'stdout', 'x'), async (file) => {
    const ac = new AbortController();
    const out = read(file, { follow: true }, { pollMs: 5, isRunning: async () => true, signal: ac.signal });
    ac.abort();
    assert.equal(await out, 'x\n');
  });
});

test('timestamps print as the kubelet prints them (RFC3339Nano: Z, no trailing zeros)', async () => {
  const { rfc3339Nano } = await import('./crilog.ts');
  assert.equal(rfc3339Nano('2026-11-22T02:59:14.519713156+00:00'), '2026-11-22T02:59:14.519713156Z');
  assert.equal(rfc3339Nano('2026-11-22T02:59:14.519710000+00:00'), '2026-11-22T02:59:14.51971Z');
  assert.equal(rfc3339Nano('2026-11-22T02:59:14.000000000Z'), '2026-11-22T02:59:14Z');
  assert.equal(rfc3339Nano('2026-11-22T02:59:14.5+01:00'), '2026-11-22T02:59:14.5+01:00');
});
