// Validity window + thresholds + now → status. `now` is a parameter, never read here. The level
// rule (days OR share of lifetime) is model/thresholds.ts, shared with the fleet view.

import type { CertStatus, Thresholds } from '../model/index.js';
import { thresholdLevel } from '../model/thresholds.js';

export function certStatus(notBefore: Date, notAfter: Date, now: Date, t: Thresholds): CertStatus {
  const nowMs = now.getTime();
  if (nowMs < notBefore.getTime()) return 'not-yet-valid';
  const residual = notAfter.getTime() - nowMs;
  if (residual <= 0) return 'expired';
  return thresholdLevel(residual, notAfter.getTime() - notBefore.getTime(), t);
}
