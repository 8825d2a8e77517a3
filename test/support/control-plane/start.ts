// Starts a real control plane for the tests: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler built from their Go modules (scripts/kube-binaries.sh), and KWOK, the Kubernetes
// project's kubelet simulator, for the Nodes and pods the tests create. Everything listens on
// 127.0.0.1 ports chosen at start, keeps its state in one throwaway directory, and is stopped
// and removed by `stop()`.
//
// What each part is for here:
// - kube-apiserver: `--authorization-mode=Node,RBAC`, the default admission plugins (so
//   NodeRestriction), a service-account issuer and signing key (TokenRequest works), an audit
//   log of every request made by the identities the tests use (who asked, what, which answer).
// - kube-controller-manager: the disruption controller (PDB status), replicaset and deployment
//   (evicted pods come back), the garbage collector, service-account tokens, nodelifecycle,
//   and the CSR approver and signer (the cluster CA signs approved CSRs).
// - kube-scheduler: replacement pods land on Nodes (tests pin them with a nodeSelector).
// - KWOK: heartbeats (Node Lease and Ready condition) for Nodes annotated
//   `kwok.x-k8s.io/node: fake`, and a pod lifecycle: Running and Ready, then on deletion
//   Terminating until the end of the grace period and a final delete with grace 0 — what
//   kubelet does (pkg/kubelet/status/status_manager.go: the pod object is deleted with
//   GracePeriodSeconds 0 once its containers are gone; they are killed when the grace period
//   ends, pkg/kubelet/kuberuntime/kuberuntime_container.go killContainer).

import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigFile, makePki } from './pki.js';
import { adminRequest } from './http.js';

export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  url: string;
  dir: string;
  caFile: string;
  caKeyFile: string;
  admin: { cert: string; key: string };
  adminKubeconfig: string;
  auditLog: string;
  /** the binaries and CRDs directory (scripts/kube-binaries.sh) */
  kit: string;
  version: string;
  pids: number[];
}

export interface RunningControlPlane {
  info: ControlPlaneInfo;
  stop(): Promise<void>;
}

const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node=fake';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  alive: () => void,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    alive();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`control plane: ${what} not ready after ${timeoutMs} ms`, { cause: last });
}

// The audit policy: every request of the identities under test (service accounts outside
// kube-system, node identities, anonymous), none of the control plane's own chatter.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: [certdrift-test-admin, certdrift-test-kwok, system:kube-controller-manager, system:kube-scheduler, system:apiserver]
- level: None
  userGroups: [system:serviceaccounts:kube-system]
- level: Metadata
`;

function kwokStages(kit: string): string {
  const dir = join(kit, 'kwok-stages');
  const published = [
    'node-initialize.yaml',
    'node-heartbeat-with-lease.yaml',
    'pod-ready.yaml',
    'pod-complete.yaml',
  ].map((f) => readFileSync(join(dir, f), 'utf8'));
  // KWOK's "fast" pods turn Ready at once. A pod may ask for a start-up time with the
  // annotation KWOK's own "general" stages use (pod-ready.stage.kwok.x-k8s.io/delay: "2s"): a
  // replacement pod that takes a moment to be Ready, as real ones do, keeps a budget spent
  // until then.
  const delayedReady = `  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]'
`;
  const podReady = published.findIndex((t) => /name: pod-ready\b/.test(t));
  const readyText = published[podReady];
  if (readyText === undefined || !readyText.includes('\n  next:\n'))
    throw new Error('KWOK pod-ready stage: unexpected shape');
  published[podReady] = readyText.replace('\n  next:\n', `\n${delayedReady}  next:\n`);
  // KWOK's own "fast" pod-delete deletes at once; its "general" one at a random time before
  // the deadline. kubelet kills what ignores SIGTERM when the grace period ends, then deletes
  // the pod object with grace 0: a pod stays Terminating until metadata.deletionTimestamp.
  const graceful = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.deletionTimestamp'
  next:
    delete: true
`;
  return [...published, graceful].map((s) => s.trim()).join('\n---\n') + '\n';
}

export async function startControlPlane(kit: string): Promise<RunningControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-cp-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const children: { name: string; proc: ChildProcess }[] = [];
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const { proc } of [...children].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((r) => {
        proc.once('exit', () => {
          r();
        });
      });
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const run = (name: string, args: string[]): void => {
    const out = createWriteStream(join(logs, `${name}.log`));
    const proc = spawn(join(kit, 'bin', name), args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    proc.stdout.pipe(out);
    proc.stderr.pipe(out);
    children.push({ name, proc });
  };
  const alive = (): void => {
    for (const { name, proc } of children) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        const tail = readFileSync(join(logs, `${name}.log`), 'utf8')
          .split('\n')
          .slice(-15);
        throw new Error(
          `control plane: ${name} exited (${proc.exitCode ?? proc.signalCode})\n${tail.join('\n')}`,
        );
      }
    }
  };
  try {
    const pki = await makePki(dir);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    run('etcd', [
      '--name=certdrift-test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=certdrift-test=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--quota-backend-bytes=2147483648',
      '--log-level=warn',
    ]);
    const auditPolicy = join(dir, 'audit-policy.yaml');
    writeFileSync(auditPolicy, AUDIT_POLICY);
    const auditLog = join(dir, 'audit.log');
    const url = `https://127.0.0.1:${apiPort}`;
    const issuer = 'https://kubernetes.default.svc.cluster.local';
    run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serving.cert}`,
      `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.caFile}`,
      `--service-account-issuer=${issuer}`,
      `--api-audiences=${issuer}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLog}`,
      '--audit-log-format=json',
      '--audit-log-mode=blocking',
      '--audit-log-maxsize=0',
      '-v=1',
    ]);
    const admin = { ca: pki.ca.pem, ...pki.admin };
    await until(
      'kube-apiserver /readyz',
      90_000,
      async () =>
        (await adminRequest(url, admin, 'GET', '/readyz')).status === 200 ? true : undefined,
      alive,
    );
    const kcm = kubeconfigFile(dir, 'controller-manager', url, pki.caFile, pki.controllerManager);
    run('kube-controller-manager', [
      `--kubeconfig=${kcm}`,
      `--authentication-kubeconfig=${kcm}`,
      `--authorization-kubeconfig=${kcm}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caFile}`,
      `--cluster-signing-cert-file=${pki.caFile}`,
      `--cluster-signing-key-file=${pki.caKeyFile}`,
      '--controllers=*',
      '-v=1',
    ]);
    const scheduler = kubeconfigFile(dir, 'scheduler', url, pki.caFile, pki.scheduler);
    run('kube-scheduler', [
      `--kubeconfig=${scheduler}`,
      `--authentication-kubeconfig=${scheduler}`,
      `--authorization-kubeconfig=${scheduler}`,
      '--secure-port=0',
      '--leader-elect=false',
      '-v=1',
    ]);
    const adminKubeconfig = kubeconfigFile(dir, 'admin', url, pki.caFile, pki.admin);
    const stages = join(dir, 'kwok-stages.yaml');
    writeFileSync(stages, kwokStages(kit));
    const kwokKubeconfig = kubeconfigFile(dir, 'kwok', url, pki.caFile, pki.kwok);
    run('kwok', [
      `--kubeconfig=${kwokKubeconfig}`,
      `--config=${stages}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.0.0.1/16',
      '--node-ip=10.0.0.1',
    ]);
    // Ready when the controllers run (the service-account controller made `default`) and
    // KWOK brings a Node it manages to Ready.
    await until(
      'kube-controller-manager (default ServiceAccount)',
      60_000,
      async () =>
        (
          await adminRequest(
            url,
            admin,
            'GET',
            '/api/v1/namespaces/default/serviceaccounts/default',
          )
        ).status === 200
          ? true
          : undefined,
      alive,
    );
    const probe = 'certdrift-control-plane-probe';
    await adminRequest(url, admin, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: probe, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    });
    await until(
      'KWOK (a fake Node Ready)',
      60_000,
      async () => {
        const r = await adminRequest(url, admin, 'GET', `/api/v1/nodes/${probe}`);
        const conditions =
          (r.body.status as { conditions?: { type: string; status: string }[] } | undefined)
            ?.conditions ?? [];
        return conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
      },
      alive,
    );
    await adminRequest(url, admin, 'DELETE', `/api/v1/nodes/${probe}`);
    const version = String(
      ((await adminRequest(url, admin, 'GET', '/version')).body as { gitVersion?: string })
        .gitVersion,
    );
    const info: ControlPlaneInfo = {
      url,
      dir,
      caFile: pki.caFile,
      caKeyFile: pki.caKeyFile,
      admin: pki.admin,
      adminKubeconfig,
      auditLog,
      kit,
      version,
      pids: children.map((c) => c.proc.pid ?? 0),
    };
    for (const { name, proc } of children) {
      proc.on('exit', (code, signal) => {
        if (!stopping)
          process.stderr.write(
            `control plane: ${name} exited (${code ?? signal}); logs in ${logs}\n`,
          );
      });
    }
    return { info, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
