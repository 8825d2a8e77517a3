// Validity window + thresholds + now → status. `now` is a parameter, never read here.

import type { CertStatus, Thresholds } from '../model/index.js';

export function certStatus(notBefore: Date, notAfter: Date, now: Date, t: Thresholds): CertStatus {
  const nowMs = now.getTime();
  if (nowMs < notBefore.getTime()) return 'not-yet-valid';
  const residual = notAfter.getTime() - nowMs;
  if (residual <= 0) return 'expired';
  if (residual < t.criticalMs) return 'critical';
  if (residual < t.warnMs) return 'warning';
  return 'ok';
}
