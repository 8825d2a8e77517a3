// The agent as it ships: the image `npm run image` builds, imported into a real containerd and
// run as a CRI container with exactly what deploy/base/daemonset.yaml declares (read from the
// rendered manifest: host PID namespace, the node's / at /host read-only with HostToContainer,
// all capabilities dropped but DAC_READ_SEARCH and SYS_PTRACE, read-only root file system, its
// args, env and memory limit). From inside, it must find the lab's stale kube-proxy
// (STALE_VIEW) and the one that did not reload (NOT_RELOADED), and serve them on /metrics.
// Then each added privilege is taken away in turn, to show it is needed.
//
// Lab specifics (said here rather than hidden): the pod uses the node's network (no CNI);
// containerd runs in a mount namespace of its own shaped like a systemd node (`/` shared, the CRI
// socket at /run/containerd/containerd.sock, src/lab/containerd.ts) so the manifest's hostPath
// `/` with HostToContainer and `--runtime-endpoint=auto` work unchanged; one env var is added,
// CERTDRIFT_PATH, because the lab's node files live under a temp dir instead of the preset paths;
// and the state hostPath /var/lib/certdrift is a temp dir of the test's (other tests on this
// machine run agents too), created as kubelet creates a DirectoryOrCreate path.
// The cluster side is real: the pod's service account is deploy/base's, installed on the test
// control plane, its token from the TokenRequest API mounted where kubelet projects it; the
// certdrift-agent-tls Secret's files are made by the test; status.hostIP is 127.0.0.1 (the lab
// node's network). The agent publishes to the API server and answers /metrics over TLS only
// to a token allowed by certdrift-metrics-reader, as the shipped manifest says.

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importImage } from '../../src/lab/image.js';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import { Lab } from '../../src/lab/lab.js';
import { agentImage, imageReference } from '../../scripts/build-image.js';
import { issue, type Issued } from '../support/certs.js';
import { install } from '../support/control-plane/install.js';
import { unique, useControlPlane, type ControlPlane } from '../support/control-plane/index.js';
import { renderDeploy } from '../support/deploy-manifests.js';
import { requireRuntime, runtimeUnavailable } from '../support/lab.js';
import { criConfigsOf, renderDaemonSet, type AgentPodSpec } from './agent-image-pod.js';

const NODE_NAME = unique('lab-node-ship');
const SERVER_NAME = 'certdrift.certdrift.svc';

interface ClusterSide {
  cp: ControlPlane;
  saDir: string;
  tlsDir: string;
  ca: Issued;
  /** a token bound to certdrift-metrics-reader (the scraper's) */
  reader: string;
}
let cluster: ClusterSide | undefined;
const cleanups: (() => unknown)[] = [];

/** The agent's identity and TLS Secret, and a scraper, on the real control plane (once). */
async function clusterSide(cp: ControlPlane): Promise<ClusterSide> {
  const cleanup = { after: (fn: () => unknown) => cleanups.push(fn) };
  const installed = await install(cp, cleanup, renderDeploy('base'));
  const ns = installed.namespace;
  await cp.node(NODE_NAME);
  cleanups.push(() => cp.admin.request('DELETE', `/api/v1/nodes/${NODE_NAME}`));
  const work = mkdtempSync(join(tmpdir(), 'certdrift-image-cluster-'));
  cleanups.push(() => {
    rmSync(work, { recursive: true, force: true });
  });
  const saDir = join(work, 'serviceaccount');
  const tlsDir = join(work, 'certdrift-agent-tls');
  mkdirSync(saDir);
  mkdirSync(tlsDir);
  writeFileSync(join(saDir, 'token'), await cp.token(ns, 'certdrift', { create: false }));
  writeFileSync(join(saDir, 'ca.crt'), cp.ca);
  const now = Date.now();
  const ca = await issue({
    cn: 'certdrift-agent-ca',
    isCA: true,
    key: 'p256',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    seed: `image-ca|${now}`,
  });
  const leaf = await issue({
    cn: SERVER_NAME,
    key: 'p256',
    eku: ['serverAuth'],
    sans: [`DNS:${SERVER_NAME}`],
    issuer: ca,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    seed: `image-leaf|${now}`,
  });
  // the Secret volume's files, with the manifest's defaultMode 0400
  for (const [f, content] of [
    ['tls.crt', leaf.pem],
    ['tls.key', leaf.keyPem],
    ['ca.crt', ca.pem],
  ] as const)
    writeFileSync(join(tlsDir, f), content, { mode: 0o400 });
  const role = installed.renamed.get('ClusterRole//certdrift-metrics-reader');
  assert.ok(role);
  await cp.admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${ns}-scraper` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: ns }],
  });
  cleanups.push(() =>
    cp.admin.request(
      'DELETE',
      `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${ns}-scraper`,
    ),
  );
  return { cp, saDir, tlsDir, ca, reader: await cp.token(ns, 'scraper') };
}

/** GET over the agent's TLS, checking its certificate for the Service's name. */
function agentGet(
  side: ClusterSide,
  path: string,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: PORT,
        path,
        servername: SERVER_NAME,
        ca: side.ca.pem,
        agent: false,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', () => {
      resolve({ status: 0, body: '' });
    });
    req.end();
  });
}
const PORT = 9731; // the manifest's --listen=:9731, on the node network

let lab: Lab | undefined;
let pod: AgentPodSpec | undefined;
let setupError: string | undefined;

before(async () => {
  if (runtimeUnavailable() !== null && process.env.CI !== 'true') return;
  const rendered = renderDaemonSet();
  if ('error' in rendered) {
    setupError = rendered.error;
    return;
  }
  pod = rendered.spec;
  // The image index `npm run image` builds (amd64 and arm64; built once per input and shared
  // with test/install/image-multiarch.test.ts); containerd runs this machine's platform from it.
  const image = agentImage({ gzip: false });
  assert.equal(image.reference, imageReference());
  lab = await Lab.up(mkdtempSync(join(tmpdir(), 'certdrift-lab-')), { nodeLike: true });
  importImage(lab.socket, image.tar);
});
after(async () => {
  if (lab) await lab.down();
  for (const c of cleanups.reverse()) await c();
});

async function ready(
  t: TestContext,
): Promise<{ lab: Lab; pod: AgentPodSpec; side: ClusterSide } | null> {
  if (!requireRuntime(t)) return null;
  if (setupError) {
    if (process.env.CI === 'true') throw new Error(setupError);
    t.skip(setupError);
    return null;
  }
  const cp = useControlPlane(t);
  if (!cp) return null;
  cluster ??= await clusterSide(cp);
  assert.ok(lab && pod, 'lab and manifest are set up');
  return { lab, pod, side: cluster };
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

interface Scenario {
  staleNode: string;
  reloadNode: string;
  /** a certificate owned by another user, mode 0400 (etcd:etcd on some distributions) */
  foreignCert: string;
}

/** Two kops kube-proxies rotated the #16400 way, and a certificate root does not own. */
async function buildScenario(lab: Lab): Promise<Scenario> {
  const staleNode = join(lab.hostDir, 'stale');
  const reloadNode = join(lab.hostDir, 'reload');
  writeKubeProxyKubeconfig(staleNode, 30, 1);
  writeKubeProxyKubeconfig(reloadNode, 30, 3);
  await lab.runPod(kubeProxyPod(staleNode, 'file', 'stale'));
  await lab.runPod(kubeProxyPod(reloadNode, 'dir', 'reload'));
  await new Promise((r) => setTimeout(r, 1100)); // renewal strictly after the processes started
  writeKubeProxyKubeconfig(staleNode, 455, 2);
  writeKubeProxyKubeconfig(reloadNode, 455, 4);
  const etcd = join(lab.hostDir, 'etcd');
  mkdirSync(etcd);
  const foreignCert = join(etcd, 'server.crt');
  writeFileSync(foreignCert, readFileSync(join(lab.hostDir, 'pki', 'ca.crt')), { mode: 0o400 });
  chownSync(foreignCert, 1000, 1000);
  return { staleNode, reloadNode, foreignCert };
}

let scenario: Scenario | undefined;

/** Where the lab's node keeps the DaemonSet's /var/lib/certdrift. */
const stateDir = (lab: Lab): string => join(lab.dir, 'var-lib-certdrift');

interface LedgerDoc {
  node: string;
  updatedAt: string;
  locations: {
    kind: string;
    path: string;
    entries: { serial: string; firstSeen: string; lastSeen: string }[];
  }[];
}
const readLedger = (lab: Lab): LedgerDoc =>
  JSON.parse(readFileSync(join(stateDir(lab), 'ledger.json'), 'utf8')) as LedgerDoc;

/** Runs the agent pod with the manifest's spec (optionally altered), returns /metrics. */
async function runAgent(
  lab: Lab,
  side: ClusterSide,
  spec: AgentPodSpec,
  name: string,
): Promise<{
  metrics: string;
  log: string;
  outsideLab: string[];
  status: string;
  mountinfo: string;
}> {
  assert.equal(await portAnswers(PORT), false, `something already listens on :${String(PORT)}`);
  const logDir = join(lab.dir, 'logs', name);
  const cfg = criConfigsOf(spec, {
    podName: name,
    namespace: 'certdrift',
    nodeName: NODE_NAME,
    logDir,
    hostPaths: { '/var/lib/certdrift': stateDir(lab) },
    hostIP: '127.0.0.1',
    secrets: { 'certdrift-agent-tls': side.tlsDir },
    serviceAccount: { dir: side.saDir, host: '127.0.0.1', port: new URL(side.cp.url).port },
  });
  for (const d of cfg.createDirs) mkdirSync(d, { recursive: true, mode: 0o755 });
  const container = cfg.container as { envs: { key: string; value: string }[] };
  container.envs.push({ key: 'CERTDRIFT_PATH', value: `${lab.hostDir}/**` });
  const { podSandboxId } = await lab.conn.call<{ podSandboxId: string }>('RunPodSandbox', {
    config: cfg.sandbox,
  });
  const readLog = (): string => {
    try {
      return readFileSync(join(logDir, 'certdrift/0.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  };
  try {
    const { containerId } = await lab.conn.call<{ containerId: string }>('CreateContainer', {
      podSandboxId,
      config: cfg.container,
      sandboxConfig: cfg.sandbox,
    });
    await lab.conn.call('StartContainer', { containerId });
    let status = 0;
    for (let i = 0; i < 150 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await agentGet(side, '/readyz')).status;
    }
    assert.equal(status, 200, `agent not ready; its log:\n${readLog()}`);
    // /metrics answers the scraper's token only (--metrics-auth kubernetes)
    assert.equal((await agentGet(side, '/metrics')).status, 401, readLog());
    const scraped = await agentGet(side, '/metrics', side.reader);
    assert.equal(scraped.status, 200, readLog());
    const metrics = scraped.body;
    const pid = await lab.pidOf(containerId);
    return {
      metrics,
      log: readLog(),
      outsideLab: cfg.outsideLab,
      status: readFileSync(`/proc/${String(pid)}/status`, 'utf8'),
      mountinfo: readFileSync(`/proc/${String(pid)}/mountinfo`, 'utf8'),
    };
  } finally {
    await lab.conn.call('StopPodSandbox', { podSandboxId });
    await lab.conn.call('RemovePodSandbox', { podSandboxId });
  }
}

const stale = (s: Scenario): RegExp =>
  new RegExp(
    `certdrift_stale_view\\{node="${NODE_NAME}",namespace="kube-system",pod="kube-proxy-stale",container="kube-proxy",path="${s.staleNode}/var/lib/kube-proxy/kubeconfig"\\} 1`,
  );
const notReloaded = (s: Scenario): RegExp =>
  new RegExp(
    `certdrift_not_reloaded\\{node="${NODE_NAME}",namespace="kube-system",pod="kube-proxy-reload",container="kube-proxy",path="${s.reloadNode}/var/lib/kube-proxy/kubeconfig"\\} 1`,
  );
const foreign = (s: Scenario): RegExp =>
  new RegExp(`certdrift_certificate_not_after_seconds\\{[^}]*path="${s.foreignCert}"`);
const staleNotReloaded = /certdrift_not_reloaded\{[^}]*pod="kube-proxy-stale"[^}]*\} 1/;
const capLine = (status: string, key: string): string =>
  new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '';
const permissionDenied =
  /certdrift_item_errors_total\{node="[^"]+",reason="permission_denied"\} ([0-9]+)/;

test('the image runs under the DaemonSet spec and finds STALE_VIEW and NOT_RELOADED', async (t) => {
  const env = await ready(t);
  if (!env) return;
  scenario = await buildScenario(env.lab);
  const c = env.pod.containers[0];
  assert.equal(c?.image, imageReference(), 'the manifest runs the image npm run image builds');
  const { metrics, log, outsideLab, status, mountinfo } = await runAgent(
    env.lab,
    env.side,
    env.pod,
    'certdrift-manifest',
  );
  t.diagnostic(`not exercised in the lab: ${outsideLab.join('; ')}`);
  assert.match(metrics, stale(scenario), log);
  assert.match(metrics, notReloaded(scenario), log);
  assert.doesNotMatch(metrics, staleNotReloaded, 'the stale container is STALE_VIEW only');
  // The manifest's privileges, as the kernel applied them to the agent's process.
  assert.equal(capLine(status, 'CapEff'), '0000000000080004', 'DAC_READ_SEARCH + SYS_PTRACE');
  assert.equal(capLine(status, 'CapBnd'), '0000000000080004');
  assert.equal(capLine(status, 'NoNewPrivs'), '1');
  const mounts = mountinfo.split('\n').map((l) => l.split(' '));
  const root = mounts.find((f) => f[4] === '/');
  assert.match(root?.[5] ?? '', /^ro\b/, 'read-only root file system');
  const host = mounts.find((f) => f[4] === '/host');
  assert.match(host?.[5] ?? '', /^ro\b/, '/host is read-only');
  assert.ok(
    host?.slice(6).some((x) => x.startsWith('master:')),
    'HostToContainer: /host is a slave',
  );
  assert.ok(metrics.includes(`certdrift_source_up{node="${NODE_NAME}",source="cri"} 1`));
  assert.ok(
    metrics.includes(`certdrift_source_up{node="${NODE_NAME}",source="kubernetes"} 1`),
    'published to the API server',
  );
  assert.match(metrics, foreign(scenario), 'DAC_READ_SEARCH reads a file root does not own');
  assert.equal(permissionDenied.exec(metrics)?.[1], '0');
  const state = mounts.find((f) => f[4] === '/var/lib/certdrift');
  assert.match(state?.[5] ?? '', /^rw\b/, 'the state directory is the one writable mount');
  // The pod's service account published the node's report to the real API server.
  const report = await env.side.cp.admin.get(
    `/apis/certdrift.io/v1alpha1/nodecertificatereports/${NODE_NAME}`,
  );
  assert.ok(report.status, `the agent wrote its report:\n${log}`);
});

test('the ledger is written under the state hostPath and survives a restart of the container', async (t) => {
  const env = await ready(t);
  if (!env) return;
  assert.ok(scenario, 'runs after the manifest test');
  const file = join(stateDir(env.lab), 'ledger.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const first = readLedger(env.lab);
  assert.equal(first.node, NODE_NAME);
  const path = `${scenario.reloadNode}/var/lib/kube-proxy/kubeconfig`;
  const at = (l: LedgerDoc, kind: string) =>
    l.locations.find((x) => x.kind === kind && x.path === path)?.entries ?? [];
  const [seen] = at(first, 'file');
  assert.ok(seen, `the first run recorded ${path}`);
  // renewed again while no agent runs; the kube-proxy that loads once keeps what it loaded
  writeKubeProxyKubeconfig(scenario.reloadNode, 455, 5);
  await new Promise((r) => setTimeout(r, 1100));
  const { log } = await runAgent(env.lab, env.side, env.pod, 'certdrift-manifest-restarted');
  assert.doesNotMatch(log, /ledger not saved|starting a new one/, log);
  const second = readLedger(env.lab);
  assert.ok(second.updatedAt > first.updatedAt);
  const files = at(second, 'file');
  assert.equal(files.length, 2, JSON.stringify(files));
  assert.deepEqual(files[0], seen, 'the first run’s entry, unchanged: the history was read back');
  // only the continued history names the serial the process still holds: the one the first
  // run saw in the file (it was replaced before this agent started)
  const held = at(second, 'process').find((e) => e.lastSeen === second.updatedAt);
  assert.equal(held?.serial, seen.serial, log);
});

/** The manifest's spec with one capability taken out of `add`. */
function without(pod: AgentPodSpec, cap: string): AgentPodSpec {
  const copy = structuredClone(pod);
  const caps = copy.containers[0]?.securityContext?.capabilities;
  const add = caps?.add ?? [];
  assert.ok(caps && add.includes(cap), `the manifest adds ${cap}`);
  caps.add = add.filter((c) => c !== cap);
  return copy;
}

test('without SYS_PTRACE the agent cannot look into containers', async (t) => {
  const env = await ready(t);
  if (!env) return;
  assert.ok(scenario, 'runs after the manifest test');
  const { metrics, log, status } = await runAgent(
    env.lab,
    env.side,
    without(env.pod, 'SYS_PTRACE'),
    'no-ptrace',
  );
  assert.equal(capLine(status, 'CapEff'), '0000000000000004', 'DAC_READ_SEARCH only');
  // STALE_VIEW of the #16400 kind is still seen (mountinfo is readable without ptrace: the
  // mount root ends in //deleted), but the container's copy of the file is not: the stale
  // container is then taken for one that did not reload (or counted as unreadable).
  assert.match(metrics, stale(scenario), log);
  const unreadable = /reason="container_view_unreadable"\} ([0-9]+)/.exec(metrics)?.[1] ?? '0';
  assert.ok(
    staleNotReloaded.test(metrics) || unreadable !== '0',
    `the view into the container is lost without SYS_PTRACE:\n${metrics}`,
  );
});

test('without DAC_READ_SEARCH a certificate root does not own is unreadable', async (t) => {
  const env = await ready(t);
  if (!env) return;
  assert.ok(scenario, 'runs after the manifest test');
  const { metrics, log } = await runAgent(
    env.lab,
    env.side,
    without(env.pod, 'DAC_READ_SEARCH'),
    'no-dac-read-search',
  );
  assert.doesNotMatch(metrics, foreign(scenario), log);
  assert.notEqual(permissionDenied.exec(metrics)?.[1] ?? '0', '0', log);
});
