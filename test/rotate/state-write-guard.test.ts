// Review finding 7 of issue 21, on the REAL control plane: a state write runs up to 5 read/PUT
// cycles, each request retried inside the client. (a) The guard (the rotation Lease) is asked
// before every request of those cycles, not only once before the write: a cycle after the Lease
// was lost is never sent. (b) A start — an entry expecting no record — that meets a 409 is not
// re-applied: the write that won may have started another node of the group, and only the step
// re-checks the limits that let this one start; it is `blocked`, decided again next step. Any
// other change is still re-applied where its entry is unchanged (the control, which shows the 409
// here is real and re-applies without the rule). The 409 is the real server's: the test plays
// the other rotator, writing the object between this client's read and its PUT.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import type { StoredRecord } from '../../src/rotate/rotation-state.js';
import { recordOf, rotatorLab, type RotatorLab } from './rotator-cluster.js';

const PLAN = 'p-guard';
const STATE = '/configmaps/certdrift-rotation-state';

/** the client's KubeApi, with the other rotator's write made just before this one's state PUT */
class RacingApi extends KubeApi {
  race: (() => Promise<unknown>) | null = null;
  puts = 0;
  override async call(...args: Parameters<KubeApi['call']>): ReturnType<KubeApi['call']> {
    const [method, path] = args;
    if (method === 'PUT' && path.endsWith(STATE)) {
      this.puts++;
      const race = this.race;
      this.race = null;
      if (race) await race();
    }
    return super.call(...args);
  }
}

function racingClient(lab: RotatorLab): { client: RotateClient; api: RacingApi } {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-state-guard-'));
  writeFileSync(join(dir, 'ca.crt'), lab.cp.ca);
  writeFileSync(join(dir, 'token'), lab.token);
  const url = new URL(lab.cp.url);
  const conn = inClusterConnection(
    { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
    { dir },
  );
  assert.ok(conn);
  const api = new RacingApi(conn, {
    userAgent: 'certdrift/test-state-guard',
    sleep: () => Promise.resolve(),
  });
  const client = new RotateClient(new HttpCluster(api), 'certdrift/test-state-guard', {
    selector: lab.selector,
    fleetSelector: lab.selector,
    namespace: lab.namespace,
  });
  return { client, api };
}

test('state writes: a start meeting a 409 is blocked, not re-applied; other changes are; the guard is asked before every request', async (t) => {
  const lab = await rotatorLab(t, []);
  if (!lab) return;
  const names = ['s', 'other', 'c', 'race2', 'g', 'race3'].map((p) => lab.name(p));
  const uids = new Map<string, string>();
  for (const n of names) uids.set(n, String((await lab.node(n)).metadata?.uid));
  const rec = (n: string, state: StoredRecord['state'], since = new Date()): StoredRecord => ({
    plan: PLAN,
    state,
    since: since.toISOString(),
    uid: uids.get(n) ?? '',
    group: 'none',
  });
  const [s, other, c, race2, g, race3] = names as [string, string, string, string, string, string];
  const theOther = lab.client('certdrift/test-other-rotator');
  const start = (n: string) => ({
    records: [{ node: n, expect: null, next: rec(n, 'cordoned') }],
    baselines: [],
  });

  // (b) a start whose PUT meets a 409 (another rotator started `other` meanwhile): blocked
  const a = racingClient(lab);
  a.api.race = () => theOther.writeState(start(other));
  const blocked = await a.client.writeState(start(s));
  assert.equal(blocked.result, 'blocked', blocked.message);
  assert.match(blocked.message, /decided again next step/);
  assert.equal(a.api.puts, 1, 'the start was not re-applied after the 409');
  assert.equal(await recordOf(lab, s), '-');
  assert.equal(await recordOf(lab, other), 'cordoned');

  // control: a change of an existing record whose PUT meets a 409 is read again and re-applied
  // (its entry is still what it expects)
  const cordoned = rec(c, 'cordoned', new Date(Date.now() - 60_000));
  assert.equal(
    (
      await theOther.writeState({
        records: [{ node: c, expect: null, next: cordoned }],
        baselines: [],
      })
    ).result,
    'done',
  );
  const b = racingClient(lab);
  b.api.race = () => theOther.writeState(start(race2));
  const drained = await b.client.writeState({
    records: [{ node: c, expect: cordoned, next: rec(c, 'drained') }],
    baselines: [],
  });
  assert.equal(drained.result, 'done', drained.message);
  assert.equal(b.api.puts, 2, 'a 409, then the re-applied PUT');
  assert.equal(await recordOf(lab, c), 'drained');

  // (a) the guard closes while the write runs (the Lease lost during the 409's cycle): the next
  // request is never sent, the record is unchanged
  const gCordoned = rec(g, 'cordoned', new Date(Date.now() - 60_000));
  await theOther.writeState({
    records: [{ node: g, expect: null, next: gCordoned }],
    baselines: [],
  });
  const d = racingClient(lab);
  let asked = 0;
  d.api.race = () => theOther.writeState(start(race3));
  await assert.rejects(
    d.client.writeState(
      { records: [{ node: g, expect: gCordoned, next: rec(g, 'drained') }], baselines: [] },
      () => (++asked <= 2 ? null : 'the rotation Lease is no longer held'),
    ),
    /not sent: the rotation Lease is no longer held/,
  );
  assert.equal(asked, 3, 'asked before the read, the PUT, and the read after the 409');
  assert.equal(d.api.puts, 1);
  assert.equal(await recordOf(lab, g), 'cordoned');
  assert.equal(await recordOf(lab, race3), 'cordoned');
});
