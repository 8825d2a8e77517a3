import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bearerToken,
  MetricsAccess,
  type AccessReviewer,
  type ReviewedUser,
} from './metrics-access.js';

/** A reviewer that knows two tokens: `good` (allowed) and `plain` (authenticated, not allowed). */
function fakeReviewer(): AccessReviewer & { calls: string[]; fail: boolean } {
  const calls: string[] = [];
  const r = {
    calls,
    fail: false,
    reviewToken(token: string): Promise<ReviewedUser | null> {
      calls.push(`token:${token}`);
      if (r.fail) return Promise.reject(new Error('connection refused'));
      if (token === 'good') return Promise.resolve({ username: 'prometheus', groups: ['g'] });
      if (token === 'plain') return Promise.resolve({ username: 'someone', groups: [] });
      return Promise.resolve(null);
    },
    reviewAccess(user: ReviewedUser, verb: string, path: string): Promise<boolean> {
      calls.push(`access:${user.username}:${verb}:${path}`);
      return Promise.resolve(user.username === 'prometheus');
    },
  };
  return r;
}

test('no token or a malformed header is 401 without a review', async () => {
  const r = fakeReviewer();
  const a = new MetricsAccess(r, () => 0);
  for (const h of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer \u0000x'])
    assert.equal(await a.check(h), 401, JSON.stringify(h));
  assert.equal(await a.check(`Bearer ${'x'.repeat(20_000)}`), 401, 'oversized');
  assert.deepEqual(r.calls, []);
});

test('TokenReview then SubjectAccessReview for get /metrics; verdicts cached per token', async () => {
  const r = fakeReviewer();
  let now = 0;
  const a = new MetricsAccess(r, () => now, { allowTtlMs: 60_000, denyTtlMs: 10_000 });
  assert.equal(await a.check('Bearer good'), 200);
  assert.equal(await a.check('Bearer plain'), 403);
  assert.equal(await a.check('Bearer bad'), 401);
  assert.deepEqual(r.calls, [
    'token:good',
    'access:prometheus:get:/metrics',
    'token:plain',
    'access:someone:get:/metrics',
    'token:bad',
  ]);
  now = 9_000;
  for (const t of ['good', 'plain', 'bad']) await a.check(`Bearer ${t}`);
  assert.equal(r.calls.length, 5, 'all three answered from the cache');
  now = 11_000;
  await a.check('Bearer plain');
  await a.check('Bearer good');
  assert.equal(r.calls.length, 7, 'a refusal is re-checked after 10 s, an allowed token is not');
  now = 61_000;
  await a.check('Bearer good');
  assert.equal(r.calls.length, 9, 'an allowed token is re-checked after 60 s');
});

test('concurrent requests with one token share one review', async () => {
  const r = fakeReviewer();
  const a = new MetricsAccess(r, () => 0);
  const verdicts = await Promise.all(Array.from({ length: 50 }, () => a.check('Bearer good')));
  assert.ok(verdicts.every((v) => v === 200));
  assert.equal(r.calls.length, 2);
});

test('a flood of distinct bad tokens makes at most the rate limit of reviews (429 past it)', async () => {
  const r = fakeReviewer();
  let now = 0;
  const a = new MetricsAccess(r, () => now, { reviewsPerSecond: 5, reviewBurst: 20 });
  const verdicts: number[] = [];
  // 10,000 tokens over 10 s of (virtual) time: 1,000 a second.
  for (let i = 0; i < 10_000; i++) {
    now = i; // one request a millisecond
    verdicts.push(await a.check(`Bearer bad-${i}`));
  }
  const reviews = r.calls.filter((c) => c.startsWith('token:')).length;
  assert.ok(reviews <= 20 + 5 * 10 + 1, `${reviews} reviews`);
  assert.ok(reviews >= 60, `the bucket refills (${reviews})`);
  assert.equal(verdicts.filter((v) => v === 401).length, reviews);
  assert.equal(verdicts.filter((v) => v === 429).length, 10_000 - reviews);
  // The flood did not lock out a good scraper for long: the bucket refills.
  now += 1000;
  assert.equal(await a.check('Bearer good'), 200);
});

test('the cache holds at most maxEntries tokens (oldest evicted)', async () => {
  const r = fakeReviewer();
  const a = new MetricsAccess(r, () => 0, { maxEntries: 3, reviewBurst: 100 });
  for (const t of ['a', 'b', 'c', 'd']) await a.check(`Bearer ${t}`);
  await a.check('Bearer a');
  assert.equal(r.calls.filter((c) => c === 'token:a').length, 2, 'a was evicted');
  await a.check('Bearer d');
  assert.equal(r.calls.filter((c) => c === 'token:d').length, 1, 'd is still cached');
});

test('an API server that cannot answer lets nobody in and caches nothing (503)', async () => {
  const r = fakeReviewer();
  const a = new MetricsAccess(r, () => 0);
  r.fail = true;
  assert.equal(await a.check('Bearer good'), 503);
  r.fail = false;
  assert.equal(await a.check('Bearer good'), 200);
});

test('bearerToken reads RFC 6750 tokens only', () => {
  assert.equal(bearerToken('Bearer abc.def-ghi_jkl~+/=='), 'abc.def-ghi_jkl~+/==');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Bearer abc\r\nX: y'), undefined);
  assert.equal(bearerToken('Token abc'), undefined);
});
