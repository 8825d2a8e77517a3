import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../node/presets.js';
import { PRESET_NAMES } from './preset-names.js';
import {
  ConfigError,
  envLayer,
  parseSize,
  resolveScanConfig,
  SCAN_DEFAULTS,
  SCAN_FIELDS,
  splitList,
  thresholdsOf,
} from './scan-config.js';
import { DAY_MS } from '../../model/index.js';

test('defaults → file → env → flags, last wins', () => {
  const c = resolveScanConfig([
    { name: 'file', values: { warnDays: 60, criticalDays: 10, paths: ['/a/**'] } },
    {
      name: 'environment',
      values: envLayer({ CERTDRIFT_WARN_DAYS: '45', CERTDRIFT_PATH: '/b/{x,y}.crt,/c' }),
    },
    { name: 'flag', values: { criticalDays: '3', output: 'json' } },
  ]);
  assert.equal(c.warnDays, 45);
  assert.equal(c.criticalDays, 3);
  assert.deepEqual(c.paths, ['/b/{x,y}.crt', '/c']);
  assert.equal(c.output, 'json');
  assert.equal(c.hostRoot, SCAN_DEFAULTS.hostRoot);
  assert.ok(Object.isFrozen(c));
});

test('bad values are clear errors naming their source', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ warnDays: 'soon' }, /^--warn-days \(warning days\): expected a number/],
    [{ output: 'xml' }, /^--output: expected one of table, json, yaml/],
    [{ hostRoot: 'relative' }, /absolute path/],
    [{ presets: ['kops', 'openshift'] }, /^--preset \(presets\): expected one of/],
    [{ warnDays: 5, criticalDays: 10 }, /must not exceed/],
    [{ at: 'tomorrow-ish' }, /expected a date/],
    [{ colour: 'x' }, /unknown setting "colour"/],
  ];
  for (const [values, re] of bad)
    assert.throws(
      () => resolveScanConfig([{ name: 'flag', values }]),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
});

test('ratio thresholds: off by default, from a file, CERTDRIFT_* or flags, into the thresholds', () => {
  const off = resolveScanConfig([]);
  assert.equal(off.warnRatio, undefined);
  assert.deepEqual(thresholdsOf(off), { warnMs: 30 * DAY_MS, criticalMs: 7 * DAY_MS });
  const c = resolveScanConfig([
    { name: 'file', values: { warnRatio: 0.5, criticalRatio: 0.2 } },
    { name: 'environment', values: envLayer({ CERTDRIFT_WARN_RATIO: '0.33' }) },
    { name: 'flag', values: { criticalRatio: '0.1' } },
  ]);
  assert.deepEqual(thresholdsOf(c), {
    warnMs: 30 * DAY_MS,
    criticalMs: 7 * DAY_MS,
    warnRatio: 0.33,
    criticalRatio: 0.1,
  });
});

test('ratio thresholds: a fraction in (0,1), critical not above warning, errors name the flag', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ warnRatio: '0' }, /^--warn-ratio \(warning ratio\): expected a fraction .* got "0"/],
    [{ warnRatio: '1' }, /--warn-ratio.*got "1"/],
    [{ warnRatio: '33%' }, /--warn-ratio.*got "33%"/],
    [{ criticalRatio: '-0.1' }, /--critical-ratio.*got "-0.1"/],
    [{ criticalRatio: 'NaN' }, /--critical-ratio/],
    [
      { warnRatio: '0.1', criticalRatio: '0.5' },
      /--critical-ratio \(0.5\) must not exceed --warn-ratio \(0.1\)/,
    ],
  ];
  for (const [values, re] of bad)
    assert.throws(
      () => resolveScanConfig([{ name: 'flag', values }]),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      JSON.stringify(values),
    );
  // equal shares, or a critical share alone, are allowed
  assert.equal(
    resolveScanConfig([{ name: 'flag', values: { warnRatio: '0.2', criticalRatio: '0.2' } }])
      .criticalRatio,
    0.2,
  );
  assert.equal(
    resolveScanConfig([{ name: 'flag', values: { criticalRatio: '0.1' } }]).criticalRatio,
    0.1,
  );
});

test('sizes and lists', () => {
  assert.equal(parseSize('4Mi', 'x'), 4 * 1024 * 1024);
  assert.equal(parseSize('1k', 'x'), 1000);
  assert.equal(parseSize(512, 'x'), 512);
  assert.deepEqual(splitList(' a , {b,c} ,', 'x'), ['a', '{b,c}']);
});

test('preset names known to config match the presets', () => {
  assert.deepEqual(
    [...PRESET_NAMES],
    PRESETS.map((p) => p.name),
  );
});

test('one field table drives flags, env variables and file keys', () => {
  // Every setting can be given by flag and (except a one-off --at) by CERTDRIFT_* and in a file.
  for (const [key, f] of Object.entries(SCAN_FIELDS)) {
    assert.match(f.flag, /^[a-z][a-z-]*$/, key);
    assert.ok(f.description.length > 10, key);
    if (key !== 'at') assert.match(f.env ?? '', /^CERTDRIFT_[A-Z_]+$/, key);
  }
  const env: Record<string, string> = {};
  for (const f of Object.values(SCAN_FIELDS)) if (f.env) env[f.env] = 'x';
  assert.deepEqual(
    Object.keys(envLayer(env)).sort(),
    Object.keys(SCAN_FIELDS)
      .filter((k) => k !== 'at')
      .sort(),
  );
  // The same value from a file (typed) and from a flag (a string) resolve alike.
  const fromFile = resolveScanConfig([
    { name: 'file', values: { maxFileSize: 2048, loadsOnce: ['a'] } },
  ]);
  const fromFlag = resolveScanConfig([
    { name: 'flag', values: { maxFileSize: '2048', loadsOnce: 'a' } },
  ]);
  assert.equal(fromFile.maxFileSize, fromFlag.maxFileSize);
  assert.deepEqual(fromFile.loadsOnce, fromFlag.loadsOnce);
});
