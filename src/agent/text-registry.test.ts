// The agent's registry against prom-client itself (the reference it replaces): the same calls give
// byte-identical text, with label values a node can hold (quotes, backslashes, newlines, unicode).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter as PromCounter, Gauge as PromGauge, Registry } from 'prom-client';
import { counter, gauge, TextRegistry } from './text-registry.js';

const ODD = ['plain', 'a"quote', 'back\\slash', 'new\nline', 'ünï€ode', '', '{x="y"}', '\\n'];

test('renders what prom-client renders for the same sets, incs and resets', async () => {
  const ours = new TextRegistry();
  const ref = new Registry();
  const help = 'A help with a \\ backslash\nand a newline.';
  const og = gauge(ours, { name: 'x_gauge', help, labelNames: ['node', 'path'] });
  const rg = new PromGauge({
    name: 'x_gauge',
    help,
    labelNames: ['node', 'path'],
    registers: [ref],
  });
  const oe = gauge(ours, { name: 'x_empty', help: 'never set', labelNames: ['node'] });
  const re = new PromGauge({
    name: 'x_empty',
    help: 'never set',
    labelNames: ['node'],
    registers: [ref],
  });
  const oc = counter(ours, { name: 'x_total', help: 'c', labelNames: ['node', 'reason'] });
  const rc = new PromCounter({
    name: 'x_total',
    help: 'c',
    labelNames: ['node', 'reason'],
    registers: [ref],
  });
  const values = [0, 1, -2.5, 1e21, 1 / 3, NaN, Infinity, -Infinity, 1765152000.123];
  for (let round = 0; round < 2; round++) {
    og.reset();
    rg.reset();
    ODD.forEach((p, i) => {
      const v = values[(i + round) % values.length] ?? 0;
      og.set({ node: 'n', path: p }, v);
      rg.set({ node: 'n', path: p }, v);
      // labels given in another order: the same series, its labels as last given
      og.set({ path: p, node: 'n' }, v + 1);
      rg.set({ path: p, node: 'n' }, v + 1);
      oc.inc({ node: 'n', reason: p }, i);
      rc.inc({ node: 'n', reason: p }, i);
      oc.inc({ node: 'n', reason: p });
      rc.inc({ node: 'n', reason: p });
    });
    assert.equal(ours.metrics(), await ref.metrics());
    assert.deepEqual(og.get().values, (await rg.get()).values);
  }
  assert.equal(oe.get().values.length, 0);
  assert.equal((await re.get()).values.length, 0);
  assert.equal(ours.contentType, ref.contentType);
});

test('refuses what prom-client refuses: an unknown label, a counter going down, a second name', () => {
  const r = new TextRegistry();
  const g = gauge(r, { name: 'y', help: 'h', labelNames: ['node'] });
  assert.throws(() => g.set({ node: 'n', other: 'x' }, 1), /label "other"/);
  const c = counter(r, { name: 'z_total', help: 'h', labelNames: ['node'] });
  assert.throws(() => c.inc({ node: 'n' }, -1), /only goes up/);
  assert.throws(() => gauge(r, { name: 'y', help: 'h', labelNames: [] }), /already registered/);
});
