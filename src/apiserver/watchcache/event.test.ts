import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeRecord, eventFor } from './event.ts';
import { JsonMemo } from './json-memo.ts';
import type { KubeObject } from '../../api/types.ts';

const memo = new JsonMemo();
const pod = (rv: number, app: string): KubeObject => ({ metadata: { name: 'p', resourceVersion: String(rv), labels: { app } } });
const web = (o: KubeObject) => o.metadata.labels?.app === 'web';

test('a watcher filter turns transitions into ADDED and DELETED (upstream rule)', () => {
  const cases: { name: string; change: ChangeRecord; want: string | undefined; rv?: string; app?: string }[] = [
    { name: 'add matching', change: new ChangeRecord(5, 'k', '', 'ADDED', pod(5, 'web'), undefined, memo), want: 'ADDED' },
    { name: 'add not matching', change: new ChangeRecord(5, 'k', '', 'ADDED', pod(5, 'db'), undefined, memo), want: undefined },
    { name: 'modify both', change: new ChangeRecord(6, 'k', '', 'MODIFIED', pod(6, 'web'), pod(5, 'web'), memo), want: 'MODIFIED' },
    { name: 'starts matching', change: new ChangeRecord(6, 'k', '', 'MODIFIED', pod(6, 'web'), pod(5, 'db'), memo), want: 'ADDED', rv: '6' },
    { name: 'stops matching', change: new ChangeRecord(6, 'k', '', 'MODIFIED', pod(6, 'db'), pod(5, 'web'), memo), want: 'DELETED', rv: '6', app: 'web' },
    { name: 'neither', change: new ChangeRecord(6, 'k', '', 'MODIFIED', pod(6, 'db'), pod(5, 'db'), memo), want: undefined },
    { name: 'delete matching', change: new ChangeRecord(7, 'k', '', 'DELETED', undefined, pod(5, 'web'), memo), want: 'DELETED', rv: '7', app: 'web' },
    { name: 'delete not matching', change: new ChangeRecord(7, 'k', '', 'DELETED', undefined, pod(5, 'db'), memo), want: undefined },
  ];
  for (const c of cases) {
    const ev = eventFor(c.change, web);
    assert.equal(ev?.type, c.want, c.name);
    if (c.rv) assert.equal(ev!.object.metadata.resourceVersion, c.rv, c.name);
    if (c.app) assert.equal(ev!.object.metadata.labels?.app, c.app, c.name);
  }
});

test('variants are built once and shared; JSON is memoized per object', () => {
  const change = new ChangeRecord(6, 'k', '', 'MODIFIED', pod(6, 'db'), pod(5, 'web'), memo);
  assert.equal(eventFor(change, web), eventFor(change, web));
  assert.equal(eventFor(change, undefined), change.event);
  const ev = change.event;
  assert.equal(ev.objectJson(), JSON.stringify(ev.object));
  assert.equal(ev.objectJson(), ev.objectJson());
  // The previous state is not mutated by giving it the new revision.
  assert.equal(change.prevObject!.metadata.resourceVersion, '5');
});
