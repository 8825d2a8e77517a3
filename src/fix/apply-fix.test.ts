// The executor on hand-written fakes of the fix ports: steps in order, each logged before and
// after, the first failure stops the run, a recreated container is done only when its next
// attempt runs clean, and the wait for it is bounded on the (fake) clock. The real edges are
// covered by test/e2e/fix-hostile.test.ts (files) and test/runtime/fix-lab.test.ts (containerd).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { container } from '../../test/support/workloads.js';
import { inventory } from '../../test/support/inventory.js';
import type { Clock } from '../model/clock.js';
import type { Finding, Workload } from '../model/index.js';
import { applyFixPlan } from './apply-fix.js';
import type { FixPlan, FixSettings, Step } from './plan-steps.js';
import type { FixEdges, ManifestSnapshot } from './ports.js';

const SETTINGS: FixSettings = {
  manifests: ['/m'],
  backupDir: '/b',
  waitMs: 2000,
  graceSeconds: 5,
  prune: true,
};

function fakeClock(start: string): Clock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
}

const SNAP: ManifestSnapshot = {
  path: '/m/kube-proxy.manifest',
  bytes: new TextEncoder().encode('old'),
  text: 'old',
  sha256: 's'.repeat(64),
  mode: 0o600,
  uid: 0,
  gid: 0,
};

interface Fake {
  edges: FixEdges;
  calls: string[];
  logged: Record<string, unknown>[];
}

/** `workloadsAt(n)`: what the n-th inspection finds (0-based). */
function fake(workloadsAt: (n: number) => Workload[], failing: Set<string> = new Set()): Fake {
  const calls: string[] = [];
  const logged: Record<string, unknown>[] = [];
  let inspections = 0;
  const edges: FixEdges = {
    inspect: () => {
      const inv = { ...inventory([]), workloads: workloadsAt(inspections++) };
      return Promise.resolve({ inventory: inv, findings: [] as Finding[], checked: true });
    },
    manifests: {
      staticPodDirs: () => Promise.resolve([]),
      find: () => Promise.resolve([]),
      listDir: () => undefined,
      read: () => SNAP,
      write: (snap, bytes) => {
        calls.push(`write ${snap.path} ${new TextDecoder().decode(bytes)}`);
        return '/b/kube-proxy.manifest.bak';
      },
      stat: () => ({ sha256: 'n'.repeat(64), bytes: 3, mode: 0o600, uid: 0, gid: 0 }),
    },
    containers: (deadlineMs) => {
      calls.push(`connect ${deadlineMs}`);
      return Promise.resolve({
        stop: (id) => {
          calls.push(`stop ${id.slice(0, 4)}`);
          return failing.has(id) ? Promise.reject(new Error('refused')) : Promise.resolve();
        },
        remove: (id) => {
          calls.push(`remove ${id.slice(0, 4)}`);
          return failing.has(id) ? Promise.reject(new Error('refused')) : Promise.resolve();
        },
        close: () => calls.push('close'),
      });
    },
    log: (entry) => logged.push(entry as Record<string, unknown>),
    clock: fakeClock('2026-11-20T00:00:00Z'),
  };
  return { edges, calls, logged };
}

const ref = { namespace: 'kube-system', pod: 'kube-proxy-node1', container: 'kube-proxy' };
const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);
const EXITED = 'e'.repeat(64);

function plan(): FixPlan {
  const steps: Step[] = [
    {
      action: {
        kind: 'patch-manifest',
        file: SNAP.path,
        ops: [],
        description: 'mount the directory',
        codes: ['FILE_HOSTPATH_MOUNT'],
      },
      status: 'planned',
      detail: '',
    },
    {
      action: {
        kind: 'recreate-container',
        reason: 'STALE_VIEW',
        containerId: OLD,
        attempt: 0,
        ...ref,
      },
      status: 'planned',
      detail: '',
    },
    {
      action: { kind: 'restart-host-process', reason: 'NOT_RELOADED', pid: 7, name: 'kubelet' },
      status: 'skipped',
      detail: 'certdrift does not restart host services',
    },
    {
      action: {
        kind: 'remove-exited',
        reason: 'EXITED_LEFTOVER',
        containerId: EXITED,
        attempt: 0,
        ...ref,
      },
      status: 'planned',
      detail: '',
    },
  ];
  const writes = new Map([[SNAP.path, { snap: SNAP, bytes: new TextEncoder().encode('new') }]]);
  return { steps, writes, problems: [], checked: true };
}

test('every planned step in order, logged before and after; the replacement is awaited', async () => {
  // kubelet starts the next attempt by the third look.
  const f = fake((n) => (n < 2 ? [] : [container({ id: NEW, attempt: 1 })]));
  const p = plan();
  await applyFixPlan(f.edges, p, SETTINGS);
  assert.deepEqual(
    p.steps.map((s) => s.status),
    ['done', 'done', 'skipped', 'done'],
  );
  assert.equal(p.steps[0]?.detail, 'written; backup /b/kube-proxy.manifest.bak');
  assert.equal(
    p.steps[1]?.detail,
    "stopped; attempt 1 (bbbbbbbbbbbbb) is running and sees the node's current certificate",
  );
  assert.equal(p.steps[3]?.detail, 'removed');
  assert.deepEqual(f.calls, [
    `write ${SNAP.path} new`,
    'connect 35000',
    'stop aaaa',
    'close',
    'connect 35000',
    'remove eeee',
    'close',
  ]);
  assert.deepEqual(
    f.logged.map((e) => e.event),
    ['start', 'done', 'start', 'done', 'start', 'done'],
  );
  assert.deepEqual(f.logged[1]?.after, {
    file: SNAP.path,
    sha256: 'n'.repeat(64),
    bytes: 3,
    mode: '0600',
    uid: 0,
    gid: 0,
    detail: 'written; backup /b/kube-proxy.manifest.bak',
  });
  // the clock moved 2 × 250 ms while kubelet had not yet started the next attempt
  assert.equal(f.logged[3]?.time, '2026-11-20T00:00:00.500Z');
});

test('the first failure stops the run; the steps after it stay planned', async () => {
  const f = fake(() => [], new Set([OLD]));
  const p = plan();
  await applyFixPlan(f.edges, p, SETTINGS);
  assert.deepEqual(
    p.steps.map((s) => s.status),
    ['done', 'failed', 'skipped', 'planned'],
  );
  assert.equal(p.steps[1]?.detail, 'refused');
  assert.deepEqual(f.logged.at(-1), {
    time: '2026-11-20T00:00:00.000Z',
    event: 'failed',
    action: p.steps[1].action,
    before: { containerId: OLD, attempt: 0, state: 'running' },
    error: 'refused',
  });
});

test('no replacement within --wait: a failure naming the container, after waiting on the clock', async () => {
  const f = fake(() => [container({ id: OLD })]);
  const p = plan();
  await applyFixPlan(f.edges, p, SETTINGS);
  assert.equal(p.steps[1]?.status, 'failed');
  assert.equal(
    p.steps[1].detail,
    'no new kube-system/kube-proxy-node1/kube-proxy container within 2 s (is kubelet running?)',
  );
  assert.equal(f.edges.clock.now().toISOString(), '2026-11-20T00:00:02.000Z');
});
