// The strict kubelet-serving approver on the real control plane, with the shipped RBAC
// (deploy/fleet + deploy/fleet/approver, installed into this test's namespace) and the
// fleet's own ServiceAccount token. The test acts as a kubelet: a client certificate
// `system:node:<name>` issued by the cluster CA, CSRs made with real keys. Each approver rule
// gets one CSR that breaks only it and must stay Pending with exactly one Event saying why;
// valid ones are approved through the approval subresource and kube-controller-manager's
// csrsigning controller issues them (status.certificate, parsed here); a client CSR is never
// approved. Then each verb of each role is removed in turn and the API server's audit log must
// show exactly the call that needs it refused.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parsePem } from '../../src/certs/pem.js';
import { parseCertificateDer } from '../../src/certs/x509.js';
import { runFleet } from '../support/fleet-cli.js';
import {
  unique,
  useControlPlane,
  type ControlPlane,
  type Obj,
} from '../support/control-plane/index.js';
import { install } from '../support/control-plane/install.js';
import { haveKubectl, renderOverlay } from '../support/deploy-manifests.js';
import {
  CLIENT,
  CSRS,
  certificateRequest,
  createCsr,
  nodeIdentity,
  type RequestOptions,
} from '../support/kubelet-csr.js';

const IP = '10.23.0.7';
const IP6 = 'fd00:23::7';
const DS = 'digital signature';
const KE = 'key encipherment';
const SA = 'server auth';

interface Setup {
  cp: ControlPlane;
  ns: string;
  kubeconfig: string;
  user: string;
  node: string;
}

async function setUp(t: TestContext): Promise<Setup | undefined> {
  const cp = useControlPlane(t);
  if (!cp) return undefined;
  if (!haveKubectl()) {
    t.skip('kubectl renders the shipped manifests');
    return undefined;
  }
  const installed = await install(cp, t, renderOverlay(['base', 'fleet'], ['fleet/approver']));
  const ns = installed.namespace;
  const token = await cp.token(ns, 'certdrift-fleet', { create: false });
  const node = unique('fleet-n');
  await cp.node(node, { kubelet: false });
  t.after(() => cp.admin.request('DELETE', `/api/v1/nodes/${node}`));
  await cp.admin.patch(`/api/v1/nodes/${node}/status`, {
    status: {
      addresses: [
        { type: 'InternalIP', address: IP },
        { type: 'InternalIP', address: IP6 },
        { type: 'Hostname', address: node },
      ],
    },
  });
  return {
    cp,
    ns,
    kubeconfig: cp.kubeconfig(token),
    user: `system:serviceaccount:${ns}:certdrift-fleet`,
    node,
  };
}

const conditionsOf = (csr: Obj): { type: string; reason?: string }[] =>
  (csr.status as { conditions?: { type: string; reason?: string }[] } | undefined)?.conditions ??
  [];

async function eventsAbout(
  cp: ControlPlane,
  csr: string,
): Promise<{ reason: string; count: number }[]> {
  const items = await cp.admin.list(
    `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=${csr}`,
  );
  return items.map((e) => ({ reason: String(e.reason), count: Number(e.count) }));
}

test('the approver approves exactly what every rule allows; the signer issues it; the rest stays Pending with one Event each', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { cp, node } = s;
  const asNode = nodeIdentity(cp, node);
  const own = { dns: [node], ip: [IP] } satisfies RequestOptions;

  // Each row breaks one rule (or none); `as` is who creates the CSR.
  const ghost = unique('ghost');
  await cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `csr-create-${node}` },
    rules: [
      {
        apiGroups: ['certificates.k8s.io'],
        resources: ['certificatesigningrequests'],
        verbs: ['create'],
      },
    ],
  });
  await cp.admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `csr-create-${node}` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: `csr-create-${node}`,
    },
    subjects: [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `system:node:${node}` },
    ],
  });
  t.after(async () => {
    await cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/csr-create-${node}`,
    );
    await cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/csr-create-${node}`,
    );
  });
  const notInGroup = nodeIdentity(cp, node, { o: ['not-nodes'] });
  const rows: {
    rule: string;
    as?: ReturnType<typeof nodeIdentity>;
    req: RequestOptions;
    usages?: string[];
    expirationSeconds?: number;
    /** 'approved', or the Event reason it stays Pending with */
    expect: string;
  }[] = [
    { rule: 'valid ECDSA, DNS + IPv4', req: own, expect: 'approved' },
    {
      rule: 'valid RSA with key encipherment',
      req: { ...own, key: 'rsa2048' },
      usages: [DS, KE, SA],
      expect: 'approved',
    },
    {
      rule: 'valid IPv6 SAN (compressed in the Node)',
      req: { ip: ['fd00:23:0:0:0:0:0:7'] },
      expect: 'approved',
    },
    {
      rule: 'valid: DNS by --serving-dns-pattern',
      req: { dns: [`${node}.nodes.example`] },
      expect: 'approved',
    },
    {
      rule: 'valid: expirationSeconds within the maximum',
      req: own,
      expirationSeconds: 86_400,
      expect: 'approved',
    },
    { rule: 'requestor is not a node', as: cp.admin, req: own, expect: 'RequestorNotNode' },
    {
      rule: 'requestor not in system:nodes',
      as: notInGroup,
      req: own,
      expect: 'RequestorNotInNodesGroup',
    },
    {
      rule: 'Node does not exist',
      as: nodeIdentity(cp, ghost),
      req: { cn: [`system:node:${ghost}`], dns: [ghost] },
      expect: 'NodeNotFound',
    },
    {
      rule: 'CN of another node',
      req: { ...own, cn: ['system:node:other-node'] },
      expect: 'CommonNameMismatch',
    },
    {
      rule: 'an extra O',
      req: { ...own, o: ['system:nodes', 'system:masters'] },
      expect: 'OrganizationMismatch',
    },
    {
      rule: 'client auth usage too',
      req: own,
      usages: [DS, SA, 'client auth'],
      expect: 'UsagesMismatch',
    },
    {
      rule: 'RSA key without key encipherment',
      req: { ...own, key: 'rsa2048' },
      usages: [DS, SA],
      expect: 'UsagesMismatch',
    },
    {
      rule: 'an email SAN',
      req: { ...own, email: ['root@example.com'] },
      expect: 'ForbiddenSanType',
    },
    {
      rule: 'a URI SAN',
      req: { ...own, uri: ['spiffe://cluster/ns/x'] },
      expect: 'ForbiddenSanType',
    },
    { rule: 'no SAN', req: {}, expect: 'NoSan' },
    {
      rule: "an IP that is not the Node's",
      req: { dns: [node], ip: ['10.99.0.1'] },
      expect: 'IpSanNotOfNode',
    },
    {
      rule: "a DNS name that is not the Node's",
      req: { dns: [node, 'kubernetes.default.svc'] },
      expect: 'DnsSanNotOfNode',
    },
    {
      rule: 'expirationSeconds over 367 days',
      req: own,
      expirationSeconds: 367 * 86_400 + 1,
      expect: 'ExpirationTooLong',
    },
  ];
  const created: { name: string; row: (typeof rows)[number] }[] = [];
  for (const row of rows) {
    const name = unique('csr');
    await createCsr(row.as ?? asNode, name, await certificateRequest(node, row.req), {
      ...(row.usages ? { usages: row.usages } : {}),
      ...(row.expirationSeconds !== undefined ? { expirationSeconds: row.expirationSeconds } : {}),
    });
    created.push({ name, row });
  }
  // A kubelet client renewal: never certdrift's to approve.
  const clientCsr = unique('csr-client');
  await createCsr(asNode, clientCsr, await certificateRequest(node, {}), {
    signer: CLIENT,
    usages: [DS, 'client auth'],
  });
  t.after(async () => {
    for (const c of [...created.map((x) => x.name), clientCsr])
      await cp.admin.request('DELETE', `${CSRS}/${c}`);
  });

  const mark = cp.auditMark();
  const first = await runFleet([
    '--kubernetes',
    s.kubeconfig,
    '--approve-kubelet-serving',
    '--serving-dns-pattern',
    '[a-z0-9-]+\\.nodes\\.example',
    '-o',
    'json',
  ]);
  assert.notEqual(first.code, 3, first.err);

  for (const { name, row } of created) {
    const csr = await cp.admin.get(`${CSRS}/${name}`);
    const conds = conditionsOf(csr);
    if (row.expect === 'approved') {
      assert.deepEqual(
        conds.map((c) => [c.type, c.reason]).slice(0, 1),
        [['Approved', 'CertdriftKubeletServingApproved']],
        row.rule,
      );
      // kube-controller-manager's signer issues it: a serving certificate for the node's names
      const pem = await cp.waitFor(`certificate of ${row.rule}`, 30_000, async () => {
        const c = await cp.admin.get(`${CSRS}/${name}`);
        const b64 = (c.status as { certificate?: string } | undefined)?.certificate;
        return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
      });
      const block = parsePem(pem).blocks[0];
      assert.ok(block, row.rule);
      const parsed = parseCertificateDer(block.der);
      assert.ok(parsed.ok, row.rule);
      assert.equal(parsed.facts.commonName, `system:node:${node}`, row.rule);
      assert.deepEqual(parsed.facts.organizations, ['system:nodes'], row.rule);
      assert.ok(parsed.facts.extKeyUsage.includes('serverAuth'), row.rule);
      const want = [
        ...(row.req.dns ?? []).map((d) => `DNS:${d}`),
        ...(row.req.ip ?? []).map((i) => `IP:${i}`),
      ];
      assert.deepEqual(
        parsed.facts.sans.filter((x) => !x.startsWith('IP:fd00')),
        want.filter((x) => !x.startsWith('IP:fd00')),
        row.rule,
      );
      if (row.expirationSeconds !== undefined) {
        const life = (parsed.facts.notAfter.getTime() - parsed.facts.notBefore.getTime()) / 1000;
        assert.ok(life <= row.expirationSeconds + 600, `${row.rule}: lifetime ${life}`);
      }
      assert.match(first.err, new RegExp(`approved kubelet-serving CSR ${name} of node ${node}`));
    } else {
      assert.deepEqual(conds, [], `${row.rule}: stays Pending, certdrift never denies`);
      assert.deepEqual(await eventsAbout(cp, name), [{ reason: row.expect, count: 1 }], row.rule);
      assert.match(
        first.err,
        new RegExp(`left kubelet-serving CSR ${name} Pending \\(${row.expect}\\)`),
      );
    }
  }
  const client = await cp.admin.get(`${CSRS}/${clientCsr}`);
  assert.ok(
    !conditionsOf(client).some((c) => c.reason === 'CertdriftKubeletServingApproved'),
    'a client CSR is never approved by certdrift',
  );
  assert.deepEqual(await eventsAbout(cp, clientCsr), []);
  // The approvals went through the approval subresource, as the fleet's ServiceAccount.
  const calls = await cp.audit(s.user, mark);
  const approvals = calls.filter((e) => e.objectRef?.subresource === 'approval');
  assert.equal(approvals.length, rows.filter((r) => r.expect === 'approved').length);
  assert.ok(approvals.every((e) => e.verb === 'update' && e.responseStatus?.code === 200));
  assert.ok(!approvals.some((e) => e.objectRef?.name === clientCsr));

  // The JSON view shows the node's CSRs: the approved ones issued or approved, the rest pending.
  const view = JSON.parse(first.out) as {
    nodes: { node: string; csrs: { signer: string; state: string; count: number }[] }[];
  };
  const mine = view.nodes.find((n) => n.node === node);
  assert.ok(mine);
  const pending = mine.csrs.find(
    (c) => c.signer === 'kubernetes.io/kubelet-serving' && c.state === 'pending',
  );
  assert.ok(
    pending && pending.count >= rows.filter((r) => r.expect !== 'approved' && !r.as).length,
  );

  // A second sync says nothing new: one Event per CSR and reason, no new log line.
  const second = await runFleet([
    '--kubernetes',
    s.kubeconfig,
    '--approve-kubelet-serving',
    '-o',
    'json',
  ]);
  for (const { name, row } of created) {
    assert.doesNotMatch(second.err, new RegExp(`CSR ${name} `), `${row.rule}: said once`);
    if (row.expect !== 'approved')
      assert.deepEqual(await eventsAbout(cp, name), [{ reason: row.expect, count: 1 }], row.rule);
  }

  // The table shows the node's CSRs by signer and state, the pending ones with their age.
  const table = await runFleet(['--kubernetes', s.kubeconfig, '--color', 'never']);
  const line = table.out.split('\n').find((l) => l.startsWith(node)) ?? '';
  assert.match(
    line,
    /client pending 1 \(oldest \d+m\), serving issued 5, serving pending 12 \(oldest \d+m\)/,
  );
  if (process.env.FLEET_TABLE_OUT)
    process.stderr.write(`${table.out.split('\n')[0] ?? ''}\n${line}\n`);
});

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

test('RBAC of deploy/fleet and its approver: every verb is used, and removing one refuses exactly its call', async (t) => {
  const s = await setUp(t);
  if (!s) return;
  const { cp, ns, node, kubeconfig, user } = s;
  const asNode = nodeIdentity(cp, node);
  const roles = [
    { path: `/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-fleet-${ns}` },
    { path: `/apis/rbac.authorization.k8s.io/v1/clusterroles/certdrift-fleet-approver-${ns}` },
    {
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/certdrift-fleet-approver-events-${ns}`,
    },
  ];
  const shipped = new Map<string, Obj>();
  for (const r of roles) shipped.set(r.path, await cp.admin.get(r.path));

  const callOf = (e: {
    verb: string;
    objectRef?: { resource?: string; subresource?: string };
  }): string =>
    `${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

  /** one sync with fresh work (a CSR to approve, one to refuse); the calls made and refused */
  async function once(): Promise<{ made: Set<string>; refused: Set<string> }> {
    const good = unique('csr-ok');
    const bad = unique('csr-bad');
    await createCsr(asNode, good, await certificateRequest(node, { dns: [node], ip: [IP] }));
    await createCsr(asNode, bad, await certificateRequest(node, { dns: ['elsewhere.example'] }));
    t.after(async () => {
      await cp.admin.request('DELETE', `${CSRS}/${good}`);
      await cp.admin.request('DELETE', `${CSRS}/${bad}`);
    });
    const mark = cp.auditMark();
    await runFleet(['--kubernetes', kubeconfig, '--approve-kubelet-serving', '-o', 'json']);
    const events = await cp.audit(user, mark);
    return {
      made: new Set(events.map(callOf)),
      refused: new Set(events.filter((e) => e.responseStatus?.code === 403).map(callOf)),
    };
  }

  const full = await once();
  assert.deepEqual([...full.refused], [], 'the shipped roles refuse nothing');
  const NEEDED: Record<string, string> = {
    'nodes list': 'list nodes',
    'nodecertificatereports list': 'list nodecertificatereports',
    'certificatesigningrequests list': 'list certificatesigningrequests',
    'certificatesigningrequests/approval update': 'update certificatesigningrequests/approval',
    // the API server checks `approve` on the signer inside the approval update
    'signers approve': 'update certificatesigningrequests/approval',
    'events create': 'create events',
  };
  for (const call of new Set(Object.values(NEEDED)))
    assert.ok(full.made.has(call), `${call} is made (made: ${[...full.made].join(', ')})`);

  const removed: string[] = [];
  for (const r of roles) {
    const role = shipped.get(r.path) as Obj & { rules: Rule[] };
    for (let i = 0; i < role.rules.length; i++) {
      const rule = role.rules[i] as Rule;
      for (const verb of rule.verbs) {
        const key = `${rule.resources.join(',')} ${verb}`;
        const rules = role.rules
          .map((x, j) => (j === i ? { ...x, verbs: x.verbs.filter((v) => v !== verb) } : x))
          .filter((x) => x.verbs.length > 0);
        await cp.admin.ok('PUT', r.path, {
          ...role,
          rules,
          metadata: { ...role.metadata, resourceVersion: undefined },
        });
        // Wait until the authorizer sees the change (its informer), then sync once.
        await cp.waitFor(`${key} removed`, 10_000, async () => {
          const sar = await cp.admin.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user,
              groups: [
                'system:serviceaccounts',
                `system:serviceaccounts:${ns}`,
                'system:authenticated',
              ],
              resourceAttributes: {
                group: rule.apiGroups[0],
                resource: (rule.resources[0] ?? '').split('/')[0],
                subresource: (rule.resources[0] ?? '').split('/')[1] ?? '',
                verb,
                ...(rule.resourceNames ? { name: rule.resourceNames[0] } : {}),
                ...(r.path.includes('/namespaces/default/') ? { namespace: 'default' } : {}),
              },
            },
          });
          return (sar.status as { allowed?: boolean } | undefined)?.allowed ? undefined : true;
        });
        const got = await once();
        assert.deepEqual([...got.refused], [NEEDED[key]], `without ${key}`);
        removed.push(key);
        await cp.admin.ok('PUT', r.path, {
          ...role,
          metadata: { ...role.metadata, resourceVersion: undefined },
        });
      }
    }
  }
  assert.deepEqual(
    removed.sort(),
    Object.keys(NEEDED).sort(),
    'every granted verb was removed once',
  );
});
