import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueuedPodInfo } from '../framework/types.ts';
import { newPodInfo } from '../framework/podinfo.ts';
import { newPrioritySort } from './prioritysort.ts';
import { makePod } from './testutil.ts';

function queued(priority: number | undefined, timestamp: number): QueuedPodInfo {
  const pod = makePod('p', { spec: priority === undefined ? {} : { priority } });
  return { podInfo: newPodInfo(pod), initialAttemptTimestamp: timestamp, timestamp, attempts: 0, unschedulablePlugins: new Set() };
}

test('PrioritySort: higher priority first, then earlier timestamp', () => {
  const pl = newPrioritySort();
  const cases: [string, QueuedPodInfo, QueuedPodInfo, boolean][] = [
    ['higher priority wins', queued(10, 5), queued(1, 1), true],
    ['lower priority loses', queued(1, 1), queued(10, 5), false],
    ['same priority: earlier wins', queued(5, 1), queued(5, 2), true],
    ['same priority: later loses', queued(5, 2), queued(5, 1), false],
    ['unset priority is 0', queued(undefined, 1), queued(-1, 0), true],
    ['equal is not less', queued(5, 1), queued(5, 1), false],
  ];
  for (const [name, a, b, want] of cases) assert.equal(pl.less(a, b), want, name);
});
