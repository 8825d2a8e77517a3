import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip } from './accept-encoding.js';

test('Accept-Encoding with q-values (RFC 9110 §12.5.3)', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP, deflate', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0', false],
    ['gzip;q=0, identity', false],
    ['gzip;q=0.5', true],
    ['deflate, br', false],
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['identity;q=1, *;q=0', false],
    ['x-gzip', true],
    ['gzip;q=bogus', false],
  ];
  for (const [header, want] of cases) assert.equal(acceptsGzip(header), want, String(header));
});
