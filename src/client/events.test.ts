import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../base/log.ts';
import { ApiClient } from './client.ts';
import { EventRecorder } from './events.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeTransport, statusReply } from './fake-transport.ts';

function logger(lines: string[]): Logger {
  const l: Logger = { info() {}, debug() {}, warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`), error: (m) => lines.push(m), child: () => l };
  return l;
}

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'd', uid: 'u1', resourceVersion: '5' } };

test('events: the first occurrence creates an Event; repeats within 10 minutes patch count and lastTimestamp', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  let patchMissing = false;
  const fake = new FakeTransport((req) => {
    if (req.method === 'POST') return { status: 201, body: req.body };
    if (req.method === 'PATCH') return patchMissing ? statusReply(404, 'NotFound') : { body: {} };
    return undefined;
  });
  const rec = new EventRecorder({ client: new ApiClient({ transport: fake }), component: 'replicaset-controller', host: 'node-1', clock, log: logger([]) });
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned d/web to node-1');
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned d/web to node-1');
  await clock.advance(60_000);
  rec.event({ ...pod, metadata: { ...pod.metadata, resourceVersion: '6' } }, 'Normal', 'Scheduled', 'Successfully assigned d/web to node-1');
  rec.event(pod, 'Warning', 'Failed', 'x'.repeat(2000));
  await rec.flush();

  assert.deepEqual(fake.actions(), ['POST /api/v1/namespaces/d/events', 'PATCH /api/v1/namespaces/d/events/' + (fake.requests[0]!.body as { metadata: { name: string } }).metadata.name, 'PATCH /api/v1/namespaces/d/events/' + (fake.requests[0]!.body as { metadata: { name: string } }).metadata.name, 'POST /api/v1/namespaces/d/events']);
  const created = fake.requests[0]!.body as Record<string, any>;
  assert.match(created.metadata.name, /^web\.[0-9a-f]+$/);
  assert.deepEqual(created.involvedObject, { kind: 'Pod', namespace: 'd', name: 'web', uid: 'u1', apiVersion: 'v1', resourceVersion: '5' });
  assert.deepEqual(
    { reason: created.reason, type: created.type, count: created.count, source: created.source, first: created.firstTimestamp, last: created.lastTimestamp, rc: created.reportingComponent, ri: created.reportingInstance },
    { reason: 'Scheduled', type: 'Normal', count: 1, source: { component: 'replicaset-controller', host: 'node-1' }, first: '2026-01-01T12:00:00Z', last: '2026-01-01T12:00:00Z', rc: 'replicaset-controller', ri: 'node-1' },
  );
  assert.equal(fake.requests[1]!.headers['content-type'], 'application/merge-patch+json');
  assert.deepEqual(fake.requests[1]!.body, { count: 2, lastTimestamp: '2026-01-01T12:00:00Z' });
  assert.deepEqual(fake.requests[2]!.body, { count: 3, lastTimestamp: '2026-01-01T12:01:00Z' });
  const warning = fake.requests[3]!.body as Record<string, any>;
  assert.equal(warning.message.length, 1024);
  assert.notEqual(warning.metadata.name, created.metadata.name);

  // Outside the window: a new Event. An Event gone from the server: written again, same name, next count.
  await clock.advance(11 * 60_000);
  fake.requests.length = 0;
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned d/web to node-1');
  await rec.flush();
  assert.deepEqual(fake.actions(), ['POST /api/v1/namespaces/d/events']);
  const second = (fake.requests[0]!.body as Record<string, any>).metadata.name;
  patchMissing = true;
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned d/web to node-1');
  await rec.flush();
  assert.deepEqual(fake.actions().slice(1), [`PATCH /api/v1/namespaces/d/events/${second}`, 'POST /api/v1/namespaces/d/events']);
  const rewritten = fake.requests[2]!.body as Record<string, any>;
  assert.equal(rewritten.metadata.name, second);
  assert.equal(rewritten.count, 2);
});

test('events: cluster-scoped objects get their Events in default; failures are logged, never thrown', async () => {
  const warnings: string[] = [];
  const fake = new FakeTransport((req) => (req.method === 'POST' && req.path.includes('/default/') ? { status: 201, body: req.body } : statusReply(403, 'Forbidden', 'no')));
  const rec = new EventRecorder({ client: new ApiClient({ transport: fake }), component: 'node-controller', clock: new FakeClock(), log: logger(warnings) });
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n1' } }, 'Normal', 'RegisteredNode', 'Node node-1 event: Registered Node node-1 in Controller');
  rec.event({ kind: 'Pod', namespace: 'locked', name: 'p', fieldPath: 'spec.containers{app}' }, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  assert.deepEqual(fake.actions(), ['POST /api/v1/namespaces/default/events', 'POST /api/v1/namespaces/locked/events']);
  assert.deepEqual((fake.requests[1]!.body as Record<string, any>).involvedObject, { kind: 'Pod', namespace: 'locked', name: 'p', fieldPath: 'spec.containers{app}' });
  assert.equal((fake.requests[0]!.body as Record<string, any>).source.host, undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /could not write event.*Forbidden|could not write event.*no/);
});
