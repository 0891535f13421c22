import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PLUGIN_ORDER, DEFAULT_PLUGINS_BY_POINT, DEFAULT_PREEMPTION, DEFAULT_SCORE_WEIGHTS, defaultPluginEntries, defaultPlugins, REGISTRY } from './registry.ts';
import { fakeSnapshot } from './testutil.ts';

const deps = { snapshot: () => fakeSnapshot([]), bind: async () => {} };

test('defaultPlugins builds every default plugin in profile order', () => {
  const plugins = defaultPlugins(deps);
  assert.deepEqual(
    plugins.map((p) => p.name),
    DEFAULT_PLUGIN_ORDER.filter((n) => n !== DEFAULT_PREEMPTION),
  );
  for (const name of Object.keys(REGISTRY)) assert.ok(DEFAULT_PLUGIN_ORDER.includes(name), name);
});

test('the per-point lists follow from what each plugin implements', () => {
  const plugins = defaultPlugins(deps);
  const implementing = (method: string) => plugins.filter((p) => typeof (p as any)[method] === 'function').map((p) => p.name);
  assert.deepEqual(implementing('preEnqueue'), DEFAULT_PLUGINS_BY_POINT.preEnqueue);
  assert.deepEqual(implementing('less'), DEFAULT_PLUGINS_BY_POINT.queueSort);
  assert.deepEqual(implementing('preFilter'), DEFAULT_PLUGINS_BY_POINT.preFilter);
  assert.deepEqual(implementing('filter'), DEFAULT_PLUGINS_BY_POINT.filter);
  assert.deepEqual(implementing('preScore'), DEFAULT_PLUGINS_BY_POINT.preScore);
  assert.deepEqual(implementing('score'), DEFAULT_PLUGINS_BY_POINT.score.map((s) => s.name));
  assert.deepEqual(implementing('reserve'), DEFAULT_PLUGINS_BY_POINT.reserve);
  assert.deepEqual(implementing('preBind'), DEFAULT_PLUGINS_BY_POINT.preBind);
  assert.deepEqual(implementing('bind'), DEFAULT_PLUGINS_BY_POINT.bind);
  // Every plugin that can reject declares its events.
  for (const p of plugins) {
    const rejects = ['preEnqueue', 'preFilter', 'filter'].some((m) => typeof (p as any)[m] === 'function');
    if (rejects) assert.equal(typeof (p as any).eventsToRegister, 'function', p.name);
  }
});

test('upstream default score weights', () => {
  assert.deepEqual(DEFAULT_SCORE_WEIGHTS, {
    TaintToleration: 3,
    NodeAffinity: 2,
    PodTopologySpread: 2,
    InterPodAffinity: 2,
    NodeResourcesFit: 1,
    NodeResourcesBalancedAllocation: 1,
    ImageLocality: 1,
  });
});

test('defaultPluginEntries carries the weights', () => {
  const entries = defaultPluginEntries(deps);
  assert.deepEqual(
    entries.filter((e) => e.weight !== undefined).map((e) => [e.plugin.name, e.weight]),
    DEFAULT_PLUGINS_BY_POINT.score.map((s) => [s.name, s.weight]),
  );
});

test('plugin args reach the plugins', () => {
  const plugins = defaultPlugins(deps, { NodeResourcesFit: { scoringStrategy: { type: 'MostAllocated' } } });
  assert.equal((plugins.find((p) => p.name === 'NodeResourcesFit') as any).strategy, 'MostAllocated');
});
