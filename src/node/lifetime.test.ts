import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cert } from '../../test/support/inventory.js';
import { DAY_MS } from '../model/index.js';
import { isKopsValidity, nodeLifetime } from './lifetime.js';

const now = new Date('2026-11-25T00:00:00Z');
const issued = new Date('2025-10-21T00:00:00Z');
const kops = (
  validDays: number,
  component: Parameters<typeof cert>[0]['component'] = 'kube-proxy',
) =>
  cert({
    component,
    notBefore: new Date(issued.getTime() - 2 * DAY_MS),
    notAfter: new Date(issued.getTime() + validDays * DAY_MS),
  });

test('kops validity signature: 455–485 days after issue, NotBefore backdated 48 h', () => {
  assert.equal(isKopsValidity(kops(455)), true);
  assert.equal(isKopsValidity(kops(485)), true);
  assert.equal(isKopsValidity(kops(365)), false);
  assert.equal(isKopsValidity(kops(500)), false);
});

test('the deadline is the earliest node certificate, CAs and admin excluded', () => {
  const life = nodeLifetime(
    [
      kops(470, 'kubelet-client'),
      kops(460, 'kube-proxy'),
      cert({ component: 'ca', isCA: true, notAfter: new Date('2026-12-01T00:00:00Z') }),
      cert({ component: 'admin', notAfter: new Date('2026-12-02T00:00:00Z') }),
    ],
    now,
    { warnMs: 30 * DAY_MS },
  );
  assert.ok(life);
  assert.equal(life.by.component, 'kube-proxy');
  assert.equal(life.deadline.toISOString(), '2027-01-24T00:00:00.000Z');
  assert.equal(life.replaceBy.toISOString(), '2026-12-25T00:00:00.000Z');
  assert.equal(life.kopsRule, true);
  assert.equal(life.issuedAt?.toISOString(), issued.toISOString());
  assert.equal(life.ageDays, 400);
  assert.equal(life.daysLeft, 60);
});

test('no node certificates, no deadline', () => {
  assert.equal(nodeLifetime([cert({ component: 'ca', isCA: true })], now, { warnMs: 0 }), null);
});

test('with --warn-ratio the replace-by date is the earlier of the two thresholds', () => {
  // kube-proxy: 460 days from issue (backdated 2 days), so a third of its 462-day window is 154 days
  const certs = [kops(470, 'kubelet-client'), kops(460, 'kube-proxy')];
  const life = nodeLifetime(certs, now, { warnMs: 30 * DAY_MS, warnRatio: 1 / 3 });
  assert.ok(life);
  assert.equal(life.notBefore.toISOString(), '2025-10-19T00:00:00.000Z');
  assert.equal(life.replaceBy.toISOString(), '2026-08-23T00:00:00.000Z');
  // a share so small that the days come first
  const late = nodeLifetime(certs, now, { warnMs: 30 * DAY_MS, warnRatio: 0.01 });
  assert.equal(late?.replaceBy.toISOString(), '2026-12-25T00:00:00.000Z');
});
