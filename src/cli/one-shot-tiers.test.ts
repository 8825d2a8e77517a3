import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hasMaglevByDefault } from './one-shot-tiers.js';

test('TurboFan is skipped only where V8 tiers up with Maglev by default (Node ≥ 22)', () => {
  assert.equal(hasMaglevByDefault('11.3.244.8-node.33'), false); // Node 20
  assert.equal(hasMaglevByDefault('12.4.254.21-node.33'), true); // Node 22
  assert.equal(hasMaglevByDefault('13.6.233.10-node.27'), true); // Node 24
  assert.equal(hasMaglevByDefault(''), false);
  assert.equal(hasMaglevByDefault('x.1'), false);
  assert.equal(hasMaglevByDefault('12'), false);
});

test('the running Node decides by its own V8, and the flag is accepted by it', () => {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(new URL('./one-shot-tiers.ts', import.meta.url).href)});
       process.stdout.write(String(m.skipTurbofanForOneShot()));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  const major = Number(process.versions.v8.split('.')[0]);
  assert.equal(child.stdout, String(major >= 12));
});
