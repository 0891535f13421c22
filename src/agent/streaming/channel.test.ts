import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseProtocol, decodeFrame, encodeFrame, exitStatus, offeredProtocols, parseResize, portPrefix, protocolVersion, REMOTE_COMMAND_PROTOCOLS, statusPayload } from './channel.ts';

test('protocol negotiation prefers v5 and parses the offered list', () => {
  const offered = offeredProtocols('v5.channel.k8s.io,v4.channel.k8s.io, v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io');
  assert.equal(chooseProtocol(offered, REMOTE_COMMAND_PROTOCOLS), 'v5.channel.k8s.io');
  assert.equal(chooseProtocol(['v4.channel.k8s.io', 'channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS), 'v4.channel.k8s.io');
  assert.equal(chooseProtocol(['bogus'], REMOTE_COMMAND_PROTOCOLS), undefined);
  assert.equal(chooseProtocol([], REMOTE_COMMAND_PROTOCOLS), '');
  assert.equal(protocolVersion('v5.channel.k8s.io'), 5);
  assert.equal(protocolVersion('channel.k8s.io'), 1);
});

test('binary frames: channel byte then data', () => {
  const f = encodeFrame(1, Buffer.from('hi'), false) as Buffer;
  assert.deepEqual([...f], [1, 0x68, 0x69]);
  assert.deepEqual(decodeFrame(Buffer.from([0, 0x61]), false), { channel: 0, data: Buffer.from('a') });
  assert.deepEqual(decodeFrame(Buffer.from([255, 0]), false), { channel: 255, data: Buffer.from([0]) });
  assert.equal(decodeFrame(Buffer.alloc(0), false), undefined);
});

test('base64 frames: digit then base64', () => {
  assert.equal(encodeFrame(2, Buffer.from('hi'), true), '2aGk=');
  assert.deepEqual(decodeFrame('0aGk=', true), { channel: 0, data: Buffer.from('hi') });
});

test('resize and port prefix', () => {
  assert.deepEqual(parseResize(Buffer.from('{"Width":100,"Height":30}')), { width: 100, height: 30 });
  assert.equal(parseResize(Buffer.from('nope')), undefined);
  assert.deepEqual([...portPrefix(8080)], [0x90, 0x1f]);
});

test('exit status as the kubelet writes it', () => {
  assert.deepEqual(exitStatus(0, ['true']), { metadata: {}, status: 'Success' });
  assert.deepEqual(exitStatus(3, ['sh', '-c', 'exit 3']), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  assert.equal(statusPayload('v2.channel.k8s.io', exitStatus(0, ['x'])), undefined);
  assert.match(String(statusPayload('channel.k8s.io', exitStatus(1, ['x']))), /exit code 1$/);
  assert.equal(JSON.parse(String(statusPayload('v4.channel.k8s.io', exitStatus(0, ['x'])))).status, 'Success');
});
