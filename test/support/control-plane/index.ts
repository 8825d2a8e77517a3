// The real control plane, as the tests see it. One is started per test run by
// scripts/run-tests.mjs (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, KWOK:
// see start.ts) and shared by every test file; `useControlPlane(t)` connects to it. Without one
// (a laptop without the binaries) the test skips with the reason; under CI=true that is a failure.
//
// The cluster is shared by test files running at the same time, so each test works in its own
// namespace and on Nodes with its own names and a label of its own (`certdrift.test/run`), and
// reads the audit log for its own identities only.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { apiRequest, type Credential, type Reply } from './http.js';
import type { ControlPlaneInfo } from './start.js';

export type { Reply } from './http.js';
export type { ControlPlaneInfo } from './start.js';

export const RUN_LABEL = 'certdrift.test/run';
export const FAKE_NODE = { 'kwok.x-k8s.io/node': 'fake' } as const;

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  /** `extra['authentication.kubernetes.io/credential-id']`: `JTI=<jti>` of a service-account token */
  user: { username: string; groups?: string[]; extra?: Record<string, string[]> };
  userAgent?: string;
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
}

export type Obj = Record<string, unknown> & {
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
};

/** what a test gives for clean-up: node:test's TestContext has it */
export interface Cleanup {
  after(fn: () => unknown): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client of the control plane with one identity. */
export class ApiClient {
  constructor(
    readonly url: string,
    readonly cred: Credential,
  ) {}

  request(method: string, path: string, body?: unknown, contentType?: string): Promise<Reply> {
    return apiRequest(this.url, this.cred, method, path, body, contentType);
  }

  /** the body of a 2xx answer; anything else throws with the server's message */
  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<Obj> {
    const r = await this.request(method, path, body, contentType);
    if (r.status < 200 || r.status > 299)
      throw new Error(
        `${method} ${path}: ${r.status} ${typeof r.body.message === 'string' ? r.body.message : r.text}`,
      );
    return r.body;
  }

  get(path: string): Promise<Obj> {
    return this.ok('GET', path);
  }

  async list(path: string): Promise<Obj[]> {
    const body = await this.ok('GET', path);
    return (body.items as Obj[] | undefined) ?? [];
  }

  create(path: string, obj: unknown): Promise<Obj> {
    return this.ok('POST', path, obj);
  }

  patch(
    path: string,
    patch: unknown,
    type: 'merge' | 'strategic' | 'json' = 'merge',
  ): Promise<Obj> {
    const ct = {
      merge: 'application/merge-patch+json',
      strategic: 'application/strategic-merge-patch+json',
      json: 'application/json-patch+json',
    }[type];
    return this.ok('PATCH', path, patch, ct);
  }

  /** server-side apply of one object, as `kubectl apply --server-side --force-conflicts` */
  apply(obj: Obj, dryRun = false): Promise<Obj> {
    const path = objectPath(obj);
    const q = `?fieldManager=certdrift-test&force=true${dryRun ? '&dryRun=All' : ''}`;
    return this.ok('PATCH', path + q, obj, 'application/apply-patch+yaml');
  }
}

const CORE_CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'PersistentVolume']);
const GROUP_CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'CertificateSigningRequest',
  'PriorityClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'NodeCertificateReport',
]);

/** the REST path of an object from its apiVersion, kind, namespace and name */
export function objectPath(obj: Obj): string {
  const apiVersion = String(obj.apiVersion);
  const kind = String(obj.kind);
  const name = obj.metadata?.name;
  const ns = obj.metadata?.namespace;
  const plural = pluralOf(kind);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const clusterScoped = CORE_CLUSTER_SCOPED.has(kind) || GROUP_CLUSTER_SCOPED.has(kind);
  const scope = clusterScoped ? '' : `/namespaces/${ns ?? 'default'}`;
  return `${base}${scope}/${plural}${name ? `/${name}` : ''}`;
}

export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('policy')) return lower.slice(0, -1) + 'ies';
  if (lower.endsWith('s')) return lower + 'es';
  return lower + 's';
}

export class ControlPlane {
  readonly admin: ApiClient;
  readonly ca: string;
  private auditCursor = 0;

  constructor(readonly info: ControlPlaneInfo) {
    this.ca = readFileSync(info.caFile, 'utf8');
    this.admin = new ApiClient(info.url, { ca: this.ca, ...info.admin });
  }

  get url(): string {
    return this.info.url;
  }

  /** a client with a bearer token */
  as(token: string): ApiClient {
    return new ApiClient(this.info.url, { ca: this.ca, token });
  }

  /** a client with a client certificate (e.g. a node's system:node:<name> identity) */
  asCert(cert: string, key: string): ApiClient {
    return new ApiClient(this.info.url, { ca: this.ca, cert, key });
  }

  /** A fresh namespace for one test (deleted at the test's end, not waited for). */
  async namespace(t: Cleanup | undefined, prefix = 'test'): Promise<string> {
    const name = unique(prefix);
    await this.admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    t?.after(() =>
      this.admin.request('DELETE', `/api/v1/namespaces/${name}`).then(() => undefined),
    );
    return name;
  }

  /** A ServiceAccount's token from the TokenRequest API (as kubelet gets a projected one). */
  async token(
    ns: string,
    sa: string,
    opts: { expirationSeconds?: number; boundSecret?: string; create?: boolean } = {},
  ): Promise<string> {
    if (opts.create !== false) {
      const r = await this.admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: sa },
      });
      if (r.status !== 201 && r.status !== 409) throw new Error(`create sa: ${r.status} ${r.text}`);
    }
    let bound: Record<string, unknown> | undefined;
    if (opts.boundSecret) {
      const s = await this.admin.ok('POST', `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: opts.boundSecret },
      });
      bound = {
        kind: 'Secret',
        apiVersion: 'v1',
        name: opts.boundSecret,
        uid: (s.metadata as { uid?: string }).uid,
      };
    }
    const tr = await this.admin.ok('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: opts.expirationSeconds ?? 3600,
        ...(bound ? { boundObjectRef: bound } : {}),
      },
    });
    return String((tr.status as { token?: string }).token);
  }

  /** Creates a Node; by default KWOK keeps it Ready with heartbeats (a healthy kubelet). */
  async node(
    name: string,
    opts: {
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
      /** false: no KWOK, nothing heartbeats (kube-controller-manager marks it NotReady) */
      kubelet?: boolean;
      unschedulable?: boolean;
      taints?: unknown[];
      providerID?: string;
    } = {},
  ): Promise<Obj> {
    const node = await this.admin.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': name, ...opts.labels },
        annotations: { ...(opts.kubelet === false ? {} : FAKE_NODE), ...opts.annotations },
      },
      spec: {
        ...(opts.unschedulable ? { unschedulable: true } : {}),
        ...(opts.taints ? { taints: opts.taints } : {}),
        ...(opts.providerID ? { providerID: opts.providerID } : {}),
      },
    });
    return node;
  }

  /** Waits for a Node KWOK manages to report Ready. */
  async nodeReady(name: string, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(`node ${name} Ready`, timeoutMs, async () => {
      const n = await this.admin.get(`/api/v1/nodes/${name}`);
      const conds = (n.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      return conds?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
  }

  async waitFor<T>(
    what: string,
    timeoutMs: number,
    probe: () => Promise<T | undefined>,
    everyMs = 200,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
      await sleep(everyMs);
    }
  }

  /** Installs the real CRDs from the kit (Cluster API, Karpenter), once; waits for Established. */
  async installCrds(prefixes: string[]): Promise<void> {
    const dir = join(this.info.kit, 'crds');
    const { parseAllDocuments } = await import('yaml');
    for (const f of readdirSync(dir).filter((f) => prefixes.some((p) => f.startsWith(p)))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
        const crd = doc.toJS() as Obj | null;
        if (!crd) continue;
        await this.applyCrd(crd);
      }
    }
  }

  /** Applies CRD objects (e.g. certdrift's own from deploy/) and waits until they serve. */
  async applyCrd(crd: Obj): Promise<void> {
    await this.admin.apply({
      ...crd,
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
    });
    const name = String(crd.metadata?.name);
    await this.waitFor(`CRD ${name} Established`, 30_000, async () => {
      const c = await this.admin.get(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      const conds = (c.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      return conds?.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
    });
  }

  /** A kubeconfig file for a token (for the CLI's --kubernetes FILE). */
  kubeconfig(token: string, dir = mkdtempSync(join(tmpdir(), 'certdrift-kc-'))): string {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${this.info.url}
    certificate-authority: ${this.info.caFile}
users:
- name: test
  user:
    token: ${token}
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
`,
      { mode: 0o600 },
    );
    return path;
  }

  /**
   * A client certificate for user `cn` in `groups`, signed by the cluster CA (as kubeadm's
   * `kubeconfig user` makes one): files in a fresh temp dir. openssl, because the CA exists only
   * as PEM files here.
   */
  userCert(cn: string, groups: string[] = []): { cert: string; key: string } {
    const dir = mkdtempSync(join(tmpdir(), 'certdrift-user-'));
    const key = join(dir, 'user.key');
    const cert = join(dir, 'user.crt');
    const csr = join(dir, 'user.csr');
    const subj = `/${groups.map((g) => `O=${g}/`).join('')}CN=${cn}`;
    const ext = join(dir, 'ext.cnf');
    writeFileSync(ext, 'extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n');
    const run = (args: string[]): void => {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      if (r.status !== 0)
        throw new Error(`openssl ${args[0] ?? ''}: ${r.stderr || r.error?.message}`);
    };
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    run(['req', '-new', '-key', key, '-subj', subj, '-out', csr]);
    run([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.info.caFile,
      '-CAkey',
      this.info.caKeyFile,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
    return { cert, key };
  }

  /** Marks the audit log's end: `audit()` reads events after the latest mark. */
  auditMark(): number {
    this.auditCursor = existsSync(this.info.auditLog) ? readFileSync(this.info.auditLog).length : 0;
    return this.auditCursor;
  }

  /**
   * The audit events of one user (e.g. `system:serviceaccount:ns:sa`) since a mark, as the real
   * server recorded them (stage ResponseComplete: the answer's code is known). The log is written
   * synchronously (`--audit-log-mode=blocking`) but may trail the response by a moment, so this
   * waits until `settleMs` passes with no new event for the user.
   */
  async audit(user: string, since = 0, settleMs = 300): Promise<AuditEvent[]> {
    let seen = -1;
    for (;;) {
      const events = this.readAudit(since).filter(
        (e) => e.user.username === user && e.stage === 'ResponseComplete',
      );
      if (events.length === seen) return events;
      seen = events.length;
      await sleep(settleMs);
    }
  }

  private readAudit(since: number): AuditEvent[] {
    if (!existsSync(this.info.auditLog)) return [];
    const text = readFileSync(this.info.auditLog).subarray(since).toString('utf8');
    const out: AuditEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as AuditEvent);
      } catch {
        // a line still being written
      }
    }
    return out;
  }
}

/** `prefix-` and 6 random hex characters: names that do not collide between test files */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

let shared: ControlPlane | undefined;

/** The run's control plane, or a skip (laptop) / failure (CI) saying why there is none. */
export function useControlPlane(t: TestContext): ControlPlane | undefined {
  if (shared) return shared;
  const file = process.env.CERTDRIFT_CONTROL_PLANE;
  if (file && existsSync(file)) {
    shared = new ControlPlane(JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneInfo);
    return shared;
  }
  const why =
    'no real control plane: build it once with `bash scripts/kube-binaries.sh` (Go 1.26) and run ' +
    'tests through `npm run test:unit` (it starts the control plane for the run)';
  if (process.env.CI) throw new Error(why);
  t.skip(why);
  return undefined;
}
