// The HTML timeline in real headless Chromium: it renders, the late nodes are listed at the top,
// the console stays clean (the page's CSP would log any fetch), and a 5,000-node fleet draws
// lanes, not 5,000 labels. Skips without Chromium on a laptop; under CI=true that is a failure.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/scan.js';
import { chromiumMissing, inspectPage } from './chromium.js';
import { AT, writeDoneWhenFleet, fleetArgs } from './done-when-fleet.js';
import { writeSyntheticFleet } from './synthetic-fleet.js';

function requireChromium(t: TestContext): boolean {
  const missing = chromiumMissing();
  if (missing === null) return true;
  if (process.env.CI === 'true') assert.fail(`CI=true: ${missing}`);
  t.skip(missing);
  return false;
}

const LATE_ROWS = `[...document.querySelectorAll('#late tr td.node')].map((td) => td.textContent)`;

test('the Done-when plan renders in Chromium with the late nodes called out first', async (t) => {
  if (!requireChromium(t)) return;
  const f = writeDoneWhenFleet();
  const r = runCli(['plan', ...fleetArgs(f, AT), '-o', 'html']);
  assert.equal(r.status, 2);
  const page = join(f.dir, 'plan.html');
  writeFileSync(page, r.stdout);
  const { errors, values, png } = await inspectPage(`file://${page}`, [
    LATE_ROWS,
    `document.querySelector('#late h2').textContent`,
    `document.querySelectorAll('svg.timeline g.lane').length`,
    `(() => { const late = document.querySelector('#late').getBoundingClientRect(); const tl = document.querySelector('svg.timeline').getBoundingClientRect(); return [late.top < tl.top, late.height > 0, tl.width > 1000, tl.height > 200]; })()`,
    `[...document.querySelectorAll('svg.timeline .today-label')].map((e) => e.textContent)`,
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(values[0], [
    'i-0a7f3b2c9d1e5109',
    'i-0a7f3b2c9d1e5113',
    'i-0a7f3b2c9d1e5112',
    'i-0a7f3b2c9d1e5111',
  ]);
  assert.match(
    String(values[1]),
    /^4 nodes cannot be replaced in time — 1 with certificates expiring/,
  );
  assert.equal(values[2], 5, 'one lane per group with due nodes');
  assert.deepEqual(values[3], [true, true, true, true]);
  assert.deepEqual(values[4], ['today 2026-11-25']);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 20_000, 'a blank page compresses to a few KB');
  if (process.env.UPDATE_SCREENSHOT) writeFileSync(process.env.UPDATE_SCREENSHOT, png);
});

test('5,000 nodes in 50 groups: 50 lanes, no wall of labels, still a clean console', async (t) => {
  if (!requireChromium(t)) return;
  const f = writeSyntheticFleet(5000, 50);
  const r = runCli(['plan', ...fleetArgs(f, f.at), '-o', 'html']);
  assert.ok(r.status === 1 || r.status === 2, r.stderr);
  const page = join(f.dir, 'plan.html');
  writeFileSync(page, r.stdout);
  const { errors, values } = await inspectPage(`file://${page}`, [
    `document.querySelectorAll('svg.timeline g.lane').length`,
    `document.querySelectorAll('svg.timeline text').length`,
    `document.querySelectorAll('#late > table tr td.node').length`,
    `document.querySelector('#late details summary')?.textContent ?? ''`,
  ]);
  assert.deepEqual(errors, []);
  assert.equal(values[0], 50);
  assert.ok(Number(values[1]) < 400, `${String(values[1])} text labels in the timeline`);
  assert.equal(values[2], 10, 'the first 10 late nodes at the top, the rest one click away');
  assert.match(String(values[3]), /^all \d+ late nodes$/);
});

test('the harness sees console errors and blocked fetches (so a clean console means something)', async (t) => {
  if (!requireChromium(t)) return;
  const f = writeDoneWhenFleet();
  const page = join(f.dir, 'bad.html');
  writeFileSync(
    page,
    `<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"><img src="https://example.invalid/x.png"><script>console.error('boom')</script>`,
  );
  const { errors } = await inspectPage(`file://${page}`, []);
  assert.ok(
    errors.some((e) => e.includes('boom')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => /Content Security Policy|example\.invalid/.test(e)),
    errors.join('\n'),
  );
});
