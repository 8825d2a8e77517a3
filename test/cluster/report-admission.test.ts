// A node cannot forge another node's NodeCertificateReport (issue #21, review finding 1), on the
// real control plane: deploy/base's ValidatingAdmissionPolicy, enforced by kube-apiserver's own
// admission, lets the agent's ServiceAccount write only the report of the node its token is
// bound to. The token is minted as a kubelet gets one for the agent's pod: a TokenRequest bound
// to a pod scheduled on node A (KWOK runs it), which carries `authentication.kubernetes.io/
// node-name: A`. With it the agent's own publish code writes A's report and is refused B's
// (403, by the policy — RBAC alone would allow it); a token bound to no pod is refused outright.
// And the rotator's read of the fleet (RotateClient.readFleet, the one mapping `rotate` uses)
// ignores a report whose Node ownerReference is not the live Node's UID, and one with no owner.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { publishNodeStatus } from '../../src/adapters/kube/publish.js';
import { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import { ClusterError } from '../../src/model/cluster.js';
import { renderDeploy } from '../support/deploy-manifests.js';
import {
  RUN_LABEL,
  unique,
  useControlPlane,
  type ControlPlane,
} from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';
import { needKubectl } from './setup.js';
import { statusSpec } from './spec.js';

const REPORTS = '/apis/certdrift.io/v1alpha1/nodecertificatereports';

/** an HttpCluster that reads its token and CA as a pod does (the in-cluster files) */
function clientWith(cp: ControlPlane, token: string): HttpCluster {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-sa-'));
  writeFileSync(join(dir, 'ca.crt'), cp.ca);
  writeFileSync(join(dir, 'token'), token);
  const url = new URL(cp.url);
  const conn = inClusterConnection(
    { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
    { dir },
  );
  if (!conn) throw new Error('no in-cluster connection');
  return new HttpCluster(
    new KubeApi(conn, { userAgent: 'certdrift/test', sleep: () => Promise.resolve() }),
  );
}

async function nodeOf(cp: ControlPlane, t: TestContext, run: string): Promise<string> {
  const name = unique('n');
  await cp.node(name, { labels: { [RUN_LABEL]: run } });
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${name}`).then(() => undefined));
  return name;
}

const uidOf = async (cp: ControlPlane, node: string): Promise<string> =>
  String((await cp.admin.get(`/api/v1/nodes/${node}`)).metadata?.uid);

test('the agent ServiceAccount writes only the report of the node its token is bound to', async (t) => {
  if (!needKubectl(t)) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const installed = await install(cp, t, renderDeploy('base'), { admission: true });
  const ns = installed.namespace;
  const run = unique('run');
  const [a, b] = [await nodeOf(cp, t, run), await nodeOf(cp, t, run)];
  await cp.nodeReady(a);
  // the agent's pod on A, as the DaemonSet places it
  const pod = await cp.admin.create(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'agent' },
    spec: {
      nodeName: a,
      serviceAccountName: 'certdrift',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'agent', image: 'certdrift:test' }],
    },
  });
  const tr = await cp.admin.ok('POST', `/api/v1/namespaces/${ns}/serviceaccounts/certdrift/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {
      expirationSeconds: 3600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'agent', uid: pod.metadata?.uid },
    },
  });
  const bound = String((tr.status as { token?: string }).token);
  // what the server made of it: the node A claim the policy reads
  const review = await cp.admin.ok('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token: bound },
  });
  const user = (review.status as { user?: { username?: string; extra?: Record<string, string[]> } })
    .user;
  assert.equal(user?.username, `system:serviceaccount:${ns}:certdrift`);
  const extra = user.extra ?? {};
  assert.deepEqual(extra['authentication.kubernetes.io/node-name'], [a]);

  for (const n of [a, b])
    t.after(() => cp.admin.request('DELETE', `${REPORTS}/${n}`).then(() => undefined));
  const agent = clientWith(cp, bound);
  const now = new Date();
  const spec = (node: string) => statusSpec([], now, node);
  // The policy binds within a moment of its creation: until B's report is refused, wait.
  const refusedB = async (): Promise<ClusterError | null> => {
    try {
      await publishNodeStatus(agent, b, spec(b), now);
      return null;
    } catch (e) {
      if (e instanceof ClusterError) return e;
      throw e;
    }
  };
  let err: ClusterError | null = null;
  await cp.waitFor('the policy refuses node B’s report', 20_000, async () => {
    err = await refusedB();
    if (err === null) await cp.admin.request('DELETE', `${REPORTS}/${b}`);
    return err ?? undefined;
  });
  assert.ok(err);
  // A publish racing the policy's activation may have created B's report before the policy bound
  // (and been refused only at its status write): clear it, then ask again with the policy active.
  await cp.admin.request('DELETE', `${REPORTS}/${b}`);
  err = await refusedB();
  assert.ok(err, 'refused once the policy is active');
  assert.equal(err.status, 403);
  assert.match(
    err.message,
    new RegExp(
      `ValidatingAdmissionPolicy.*node ${a} may write only the NodeCertificateReport ${a}`,
    ),
  );
  assert.equal((await cp.admin.request('GET', `${REPORTS}/${b}`)).status, 404, 'never created');

  // its own node's report: written, owned by A, status in place
  await publishNodeStatus(agent, a, spec(a), now);
  const mine = await cp.admin.get(`${REPORTS}/${a}`);
  assert.equal(
    (mine.metadata?.ownerReferences as { uid: string }[] | undefined)?.[0]?.uid,
    await uidOf(cp, a),
  );
  assert.ok((mine.status as { scannedAt?: string } | undefined)?.scannedAt);

  // B's report, written by someone allowed (its own agent): A's token can neither change its
  // status nor its metadata
  await cp.admin.create(REPORTS, {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeCertificateReport',
    metadata: { name: b },
  });
  const asA = cp.as(bound);
  const status = await asA.request(
    'PATCH',
    `${REPORTS}/${b}/status`,
    {
      status: { deadline: '2000-01-01T00:00:00Z' },
    },
    'application/merge-patch+json',
  );
  assert.equal(status.status, 403, status.text);
  const meta = await asA.request(
    'PATCH',
    `${REPORTS}/${b}`,
    {
      metadata: { labels: { forged: 'yes' } },
    },
    'application/merge-patch+json',
  );
  assert.equal(meta.status, 403, meta.text);
  // and A's own report may not claim another Node as its owner
  const owner = await asA.request(
    'PATCH',
    `${REPORTS}/${a}`,
    {
      metadata: {
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: b, uid: await uidOf(cp, b) }],
      },
    },
    'application/merge-patch+json',
  );
  assert.equal(owner.status, 403, owner.text);

  // a token of the agent's ServiceAccount bound to no pod or node: refused even for A's report
  const loose = await cp.token(ns, 'certdrift', { create: false });
  await assert.rejects(
    publishNodeStatus(clientWith(cp, loose), a, spec(a), now),
    (e: unknown) =>
      e instanceof ClusterError &&
      e.status === 403 &&
      /only with a token bound to its node/.test(e.message),
  );
});

test('the rotator matches a report to its Node by UID: another owner, or none, is reported and ignored', async (t) => {
  if (!needKubectl(t)) return;
  const cp = useControlPlane(t);
  if (!cp) return;
  const run = unique('run');
  const [good, forged, ownerless, other] = [
    await nodeOf(cp, t, run),
    await nodeOf(cp, t, run),
    await nodeOf(cp, t, run),
    await nodeOf(cp, t, run),
  ];
  const deadline = '2020-01-01T00:00:00Z';
  const report = async (name: string, owner?: string): Promise<void> => {
    await cp.admin.create(REPORTS, {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: 'NodeCertificateReport',
      metadata: {
        name,
        ...(owner
          ? {
              ownerReferences: [
                { apiVersion: 'v1', kind: 'Node', name: owner, uid: await uidOf(cp, owner) },
              ],
            }
          : {}),
      },
    });
    t.after(() => cp.admin.request('DELETE', `${REPORTS}/${name}`).then(() => undefined));
    await cp.admin.patch(`${REPORTS}/${name}/status`, { status: { deadline } });
  };
  await report(good, good);
  // owned by another live Node (so the garbage collector keeps it): not `forged`'s report
  await report(forged, other);
  await report(ownerless);
  // as the rotator's ServiceAccount, with the shipped rotator RBAC
  const rotator = await install(cp, t, renderDeploy('rotator'));
  const token = await cp.token(rotator.namespace, 'certdrift-rotator', { create: false });
  const client = new RotateClient(clientWith(cp, token), 'certdrift/test', {
    selector: `${RUN_LABEL}=${run}`,
    namespace: rotator.namespace,
  });
  const fleet = await client.readFleet();
  assert.deepEqual(
    fleet.facts.map((f) => [f.node, f.deadline?.toISOString()]),
    [[good, '2020-01-01T00:00:00.000Z']],
  );
  const problems = fleet.problems.map((p) => p.message).join('\n');
  assert.match(problems, new RegExp(`"${forged}" is owned by Node UID .*forged\\): ignored`));
  assert.match(problems, new RegExp(`"${ownerless}" has no Node ownerReference`));
});
