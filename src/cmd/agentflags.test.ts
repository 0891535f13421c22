import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_FLAGS, agentConfigFromFlags } from './agentflags.ts';
import { parseFlags } from './flags.ts';

const config = (args: string[]) => agentConfigFromFlags(parseFlags(args, AGENT_FLAGS).flags);

test('agent flags: defaults, --warm-sandboxes in range, bad values refused with the flag named', () => {
  const d = config(['--node-name', 'N1']);
  assert.equal(d.nodeName, 'n1');
  assert.equal(d.warmSandboxes, 1);
  assert.equal(d.maxPods, 110);
  assert.equal(config(['--warm-sandboxes', '0']).warmSandboxes, 0);
  assert.equal(config(['--warm-sandboxes', '4']).warmSandboxes, 4);
  assert.throws(() => config(['--warm-sandboxes', '-1']), /--warm-sandboxes: "-1" is not a non-negative integer/);
  assert.throws(() => config(['--warm-sandboxes', '99']), /--warm-sandboxes: 99 is not between 0 and 32/);
  assert.throws(() => config(['--bridge', 'a-very-long-bridge-name']), /longer than 15 characters/);
});
