import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import {
  FLAG_FIN,
  HeaderCompressor,
  HeaderDecompressor,
  SpdyFrameReader,
  SpdySession,
  TYPE_SYN_REPLY,
  TYPE_PING,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  pingFrame,
  synStreamFrame,
  type RawFrame,
} from './spdy.ts';
import { SPDY3_DICTIONARY } from './spdy-dictionary.ts';

const H = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));

test('header block encodes as counted, length-prefixed pairs (names lower-cased)', () => {
  const b = encodeHeaderBlock(H({ StreamType: 'data', port: '80' }));
  assert.equal(b.readUInt32BE(0), 2);
  assert.equal(b.readUInt32BE(4), 10);
  assert.equal(b.subarray(8, 18).toString(), 'streamtype');
  assert.deepEqual(decodeHeaderBlock(b), H({ streamtype: 'data', port: '80' }));
});

test('compressed header blocks round-trip through one context per direction', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  try {
    for (const h of [H({ streamtype: 'error', port: '80', requestid: '0' }), H({ streamtype: 'data', port: '80', requestid: '0' }), new Map()]) {
      assert.deepEqual(await d.decompress(await c.compress(h)), h);
    }
  } finally {
    c.close();
    d.close();
  }
});

test('our compressed block is a zlib stream with the SPDY dictionary (independent inflate)', async () => {
  const c = new HeaderCompressor();
  try {
    const h = H({ port: '8080' });
    const block = await c.compress(h);
    // FDICT set in the zlib header, and the dictionary id is the Adler-32 of the SPDY/3 dictionary.
    assert.equal(block[1]! & 0x20, 0x20);
    const raw = zlib.inflateSync(block, { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    assert.deepEqual(decodeHeaderBlock(raw), h);
  } finally {
    c.close();
  }
});

test('frame reader splits frames across arbitrary chunking', async () => {
  const c = new HeaderCompressor();
  const syn = await synStreamFrame(c, 1, H({ port: '80' }));
  c.close();
  const bytes = Buffer.concat([syn, dataFrame(1, FLAG_FIN, Buffer.from('abc')), pingFrame(7)]);
  const r = new SpdyFrameReader();
  const frames: RawFrame[] = [];
  for (let i = 0; i < bytes.length; i += 3) frames.push(...r.push(bytes.subarray(i, i + 3)));
  assert.equal(frames.length, 3);
  assert.deepEqual(frames[0]!.control && [frames[0].type, frames[0].payload.readUInt32BE(0)], [1, 1]);
  assert.deepEqual(!frames[1]!.control && [frames[1].streamId, frames[1].flags, frames[1].data.toString()], [1, FLAG_FIN, 'abc']);
  assert.deepEqual(frames[2]!.control && [frames[2].type, frames[2].payload.readUInt32BE(0)], [TYPE_PING, 7]);
});

test('session: SYN_STREAM gets a SYN_REPLY, data flows both ways, pings are echoed', async () => {
  const out = new SpdyFrameReader();
  const sent: RawFrame[] = [];
  let got = '';
  let ended = false;
  let resolveEnd: () => void = () => {};
  const endSeen = new Promise<void>((r) => (resolveEnd = r));
  const session = new SpdySession({
    write: (b) => sent.push(...out.push(b)),
    onStream: (s) => {
      assert.equal(s.header('streamType'), 'data');
      assert.equal(s.header('port'), '80');
      s.onData = (d) => {
        got += d.toString();
        s.write(Buffer.from(d.toString().toUpperCase()));
      };
      s.onEnd = () => {
        ended = true;
        s.end();
        resolveEnd();
      };
    },
  });
  const client = new HeaderCompressor();
  session.receive(await synStreamFrame(client, 1, H({ streamtype: 'data', port: '80', requestid: '0' })));
  session.receive(Buffer.concat([dataFrame(1, 0, Buffer.from('hello')), pingFrame(1), dataFrame(1, FLAG_FIN, Buffer.alloc(0))]));
  await endSeen;
  client.close();
  assert.equal(got, 'hello');
  assert.equal(ended, true);
  const reply = sent[0]!;
  assert.ok(reply.control && reply.type === TYPE_SYN_REPLY && reply.payload.readUInt32BE(0) === 1);
  const d = new HeaderDecompressor();
  assert.equal((await d.decompress((reply as { payload: Buffer }).payload.subarray(4))).size, 0);
  d.close();
  const data = sent.filter((f) => !f.control) as { streamId: number; flags: number; data: Buffer }[];
  assert.equal(Buffer.concat(data.map((f) => f.data)).toString(), 'HELLO');
  assert.equal(data.at(-1)!.flags & FLAG_FIN, FLAG_FIN);
  assert.ok(sent.some((f) => f.control && f.type === TYPE_PING && f.payload.readUInt32BE(0) === 1));
  session.close();
});
