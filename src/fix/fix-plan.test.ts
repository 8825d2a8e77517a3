import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditManifest } from '../audit/index.js';
import { container } from '../../test/support/workloads.js';
import type { Finding } from '../model/index.js';
import { planFixes } from './fix-plan.js';

const stale = (target: string): Finding => ({
  code: 'STALE_VIEW',
  severity: 'critical',
  title: '',
  evidence: {},
  remedy: '',
  subject: '',
  target,
});
const KOPS =
  'kind: Pod\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\nspec:\n  containers:\n  - name: kube-proxy\n    volumeMounts:\n    - mountPath: /var/lib/kube-proxy/kubeconfig\n      name: kubeconfig\n  volumes:\n  - hostPath:\n      path: /var/lib/kube-proxy/kubeconfig\n    name: kubeconfig\n';

test('manifests first, then recreate the stale container, then duplicates, then leftovers', () => {
  const audits = [auditManifest('/m/kube-proxy.manifest', KOPS)];
  const run0 = container({
    id: 'a'.repeat(64),
    attempt: 3,
    startedAt: new Date('2026-11-01T00:00:00Z'),
  });
  const run1 = container({
    id: 'b'.repeat(64),
    attempt: 4,
    startedAt: new Date('2026-11-02T00:00:00Z'),
  });
  const ex1 = container({
    id: 'c'.repeat(64),
    attempt: 1,
    state: 'exited',
    finishedAt: new Date('2026-10-01T00:00:00Z'),
  });
  const ex2 = container({
    id: 'd'.repeat(64),
    attempt: 2,
    state: 'exited',
    finishedAt: new Date('2026-10-02T00:00:00Z'),
  });
  const plan = planFixes({
    audits,
    findings: [stale(run1.id)],
    workloads: [run0, run1, ex1, ex2],
    prune: true,
  });
  assert.deepEqual(
    plan.map((a) => `${a.kind} ${'containerId' in a ? a.containerId.slice(0, 1) : ''}`),
    ['patch-manifest ', 'recreate-container b', 'stop-duplicate a', 'remove-exited c'],
  );
});

test('nothing found, nothing to do; --keep-exited keeps leftovers; host processes are by hand', () => {
  assert.deepEqual(
    planFixes({ audits: [], findings: [], workloads: [container()], prune: true }),
    [],
  );
  const ex = [container({ id: '1', state: 'exited' }), container({ id: '2', state: 'exited' })];
  assert.deepEqual(planFixes({ audits: [], findings: [], workloads: ex, prune: false }), []);
  const host = container({ kind: 'process', id: 'pid:7', pid: 7, name: 'kubelet', pod: undefined });
  assert.deepEqual(
    planFixes({ audits: [], findings: [stale('pid:7')], workloads: [host], prune: true }).map(
      (a) => a.kind,
    ),
    ['restart-host-process'],
  );
});
