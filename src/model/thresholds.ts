// The one rule for "how urgent is this certificate": a residual time and a lifetime against the
// thresholds. A certificate is at a level when EITHER threshold says so — fewer days left than
// warnMs/criticalMs, or less of its lifetime left than warnRatio/criticalRatio (cert-manager's
// renewBefore default is a third of the lifetime; kubelet rotates at 70–90 % of it, domain §4).
// Days alone mislead both ways: 30 days is a tenth of a 1-year kubelet certificate but all of a
// 24-hour one. Pure: `now` is a parameter.

import type { Thresholds } from './index.js';

export type ThresholdLevel = 'ok' | 'warning' | 'critical';

/** The share of the validity window still ahead (0..1), or null when the window is empty or inverted. */
export function lifetimeLeft(notBefore: Date, notAfter: Date, now: Date): number | null {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  if (!(lifetime > 0)) return null;
  return Math.min(1, Math.max(0, (notAfter.getTime() - now.getTime()) / lifetime));
}

/**
 * The level of a still-valid certificate: `residualMs` left of a `lifetimeMs` window (null:
 * unknown, e.g. a report without notBefore — then only the day thresholds judge).
 */
export function thresholdLevel(
  residualMs: number,
  lifetimeMs: number | null,
  t: Thresholds,
): ThresholdLevel {
  const share = lifetimeMs !== null && lifetimeMs > 0 ? residualMs / lifetimeMs : null;
  const below = (ms: number, ratio: number | undefined): boolean =>
    residualMs < ms || (share !== null && ratio !== undefined && share < ratio);
  if (below(t.criticalMs, t.criticalRatio)) return 'critical';
  if (below(t.warnMs, t.warnRatio)) return 'warning';
  return 'ok';
}

/**
 * When a certificate reaches `warning`: the earlier of notAfter − warnMs and the moment
 * warnRatio of its lifetime is left (notBefore + (1 − warnRatio) × lifetime).
 */
export function warningFrom(notBefore: Date, notAfter: Date, t: Thresholds): Date {
  const byDays = notAfter.getTime() - t.warnMs;
  const lifetime = notAfter.getTime() - notBefore.getTime();
  if (t.warnRatio === undefined || !(lifetime > 0)) return new Date(byDays);
  const byRatio = notAfter.getTime() - t.warnRatio * lifetime;
  return new Date(Math.min(byDays, byRatio));
}

/** `12.5%`: a share as people read it in evidence and tables. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
