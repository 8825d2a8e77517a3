// Every check certdrift runs, listed explicitly (no registration by import side effect).

import { certExpiry } from './cert-expiry.js';
import type { Check } from './context.js';
import { credentialMissing } from './credential-missing.js';
import { duplicates } from './duplicates.js';
import { kubeletServingMissing } from './kubelet-serving-missing.js';
import { nodeLifetimeCheck } from './node-lifetime.js';
import { notReloaded } from './not-reloaded.js';
import { mountRisks } from './propagation.js';
import { scanIncomplete } from './scan-incomplete.js';
import { servedStale } from './served-stale.js';
import { staleView } from './stale-view.js';

export type { Check, CheckContext } from './context.js';

export const CHECKS: readonly Check[] = [
  certExpiry,
  credentialMissing,
  scanIncomplete,
  nodeLifetimeCheck,
  staleView,
  notReloaded,
  mountRisks,
  duplicates,
  servedStale,
  kubeletServingMissing,
];
