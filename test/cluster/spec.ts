// Findings and the node status certdrift derives from them, for the publishing tests.

import { desiredConditions, desiredEvents, desiredReport } from '../../src/agent/node-status.js';
import type { NodeStatusSpec } from '../../src/adapters/kube/publish.js';
import type { Finding } from '../../src/model/index.js';
import { inventory } from '../support/inventory.js';

export const finding = (
  code: Finding['code'],
  severity: Finding['severity'],
  subject: string,
): Finding => ({
  code,
  severity,
  title: `${code} on ${subject}`,
  evidence: {},
  remedy: 'do it',
  subject,
});

export const statusSpec = (findings: Finding[], now: Date, node = 'n1'): NodeStatusSpec => ({
  conditions: desiredConditions(findings),
  events: desiredEvents(node, findings),
  report: desiredReport(inventory([]), findings, null, now),
});
