// The agent as it runs in its DaemonSet pod, on the real control plane: the shipped deploy/base
// installed into the test's own namespace (its ServiceAccount `certdrift`, the agent's roles
// under the test's suffix), a Node of the test's own that KWOK keeps Ready, and the pod's
// service-account directory — a projected token from the TokenRequest API (each bound to a
// Secret of its own, so deleting the Secret revokes it for real) that `rotate()` rewrites as
// kubelet does, and the CA to trust. The in-cluster connection (KUBERNETES_SERVICE_HOST/PORT)
// goes through a fault proxy on 127.0.0.1 that forwards everything unchanged unless a test arms
// a fault (429, 5xx, truncated or slow answers a real server does not give on demand).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import type { Connection } from '../../src/adapters/kube/connection.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi, type KubeApiOptions } from '../../src/adapters/kube/kube-api.js';
import { haveKubectl, renderDeploy, type Manifest } from '../support/deploy-manifests.js';
import { FaultProxy } from '../support/control-plane/fault-proxy.js';
import {
  unique,
  useControlPlane,
  type AuditEvent,
  type ControlPlane,
} from '../support/control-plane/index.js';
import { install, type Installed } from '../support/control-plane/install.js';

export const TOKEN_TTL = 3600;

export interface ClusterLab {
  cp: ControlPlane;
  installed: Installed;
  /** the agent's identity as the API server names it */
  user: string;
  /** a Node of this test's, Ready (KWOK heartbeats it) */
  node: string;
  proxy: FaultProxy;
  /** the pod's /var/run/secrets/kubernetes.io/serviceaccount */
  saDir: string;
  /** kubelet rewrites the token file with a fresh token; returns it */
  rotate(ttlSeconds?: number): Promise<string>;
  /** deletes the Secret the token is bound to and waits until the server refuses the token */
  revoke(token: string): Promise<void>;
  /** the in-cluster connection the agent builds (KUBERNETES_SERVICE_HOST/PORT, token, CA) */
  connection(now?: () => number): Connection;
  client(opts?: Partial<KubeApiOptions>, now?: () => number): HttpCluster;
  sleeps: number[];
  /** another Node of this test's (removed at the end) */
  addNode(opts?: { kubelet?: boolean }): Promise<string>;
  /** the agent's requests since an audit mark, as the server recorded them */
  calls(since: number): Promise<AuditEvent[]>;
}

/** Skips (laptop) or fails (CI) when kubectl cannot render deploy/base. */
export function needKubectl(t: TestContext): boolean {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI to render deploy/base');
  t.skip('kubectl is not installed (needed to render deploy/base for RBAC)');
  return false;
}

/** `resource/subresource` of an audit event, as RBAC rules name it */
export const resourceOf = (e: AuditEvent): string =>
  `${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

/** A Node of the test's, deleted when the test ends (its report goes with it: owner reference). */
export async function testNode(
  cp: ControlPlane,
  t: TestContext,
  opts: { kubelet?: boolean; name?: string } = {},
): Promise<string> {
  const name = opts.name ?? unique('n');
  await cp.node(name, { kubelet: opts.kubelet ?? true });
  t.after(async () => {
    await cp.admin.request('DELETE', `/api/v1/nodes/${name}`);
    // Its Events (kept an hour by the server) are this test's too.
    const events = await cp.admin.list(
      `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${name}`,
    );
    for (const e of events)
      await cp.admin.request('DELETE', `/api/v1/namespaces/default/events/${e.metadata?.name}`);
  });
  if (opts.kubelet ?? true) await cp.nodeReady(name);
  return name;
}

/**
 * The lab, or undefined when the test skipped (no control plane or no kubectl on a laptop).
 * `manifests` replace the rendered deploy/base (a variant of the role).
 */
export async function startCluster(
  t: TestContext,
  opts: { manifests?: Manifest[]; kubelet?: boolean } = {},
): Promise<ClusterLab | undefined> {
  if (!needKubectl(t)) return undefined;
  const cp = useControlPlane(t);
  if (!cp) return undefined;
  const installed = await install(cp, t, opts.manifests ?? renderDeploy('base'));
  const ns = installed.namespace;
  const node = await testNode(cp, t, { kubelet: opts.kubelet ?? true });
  const proxy = new FaultProxy(cp.url, cp.ca);
  await proxy.start();
  t.after(() => proxy.stop());
  const saDir = mkdtempSync(join(tmpdir(), 'certdrift-sa-'));
  writeFileSync(join(saDir, 'ca.crt'), proxy.ca);
  const secrets = new Map<string, string>();
  const rotate = async (ttl = TOKEN_TTL): Promise<string> => {
    const secret = unique('token');
    const token = await cp.token(ns, 'certdrift', {
      create: false,
      expirationSeconds: ttl,
      boundSecret: secret,
    });
    secrets.set(token, secret);
    writeFileSync(join(saDir, 'token'), token);
    return token;
  };
  await rotate();
  const revoke = async (token: string): Promise<void> => {
    const secret = secrets.get(token);
    if (!secret) throw new Error('not a token of this lab');
    await cp.admin.request('DELETE', `/api/v1/namespaces/${ns}/secrets/${secret}`);
    // The server caches a token's successful authentication for 10 s
    // (pkg/kubeapiserver/authenticator/config.go): wait until it is refused. The probe asks for
    // /version, a path the agent never calls, so tests can tell these requests apart.
    const as = cp.as(token);
    await cp.waitFor('the revoked token refused', 30_000, async () =>
      (await as.request('GET', '/version')).status === 401 ? true : undefined,
    );
  };
  const sleeps: number[] = [];
  const port = new URL(proxy.url).port;
  const connection = (now?: () => number): Connection => {
    const c = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      { dir: saDir, ...(now ? { now } : {}) },
    );
    if (!c) throw new Error('no in-cluster connection');
    return c;
  };
  const user = `system:serviceaccount:${ns}:certdrift`;
  return {
    cp,
    installed,
    user,
    node,
    proxy,
    saDir,
    rotate,
    revoke,
    connection,
    sleeps,
    addNode: (o = {}) => testNode(cp, t, { kubelet: o.kubelet ?? false }),
    calls: async (since) =>
      (await cp.audit(user, since)).filter((e) => !e.requestURI.startsWith('/version')),
    client: (o = {}, now) =>
      new HttpCluster(
        new KubeApi(connection(now), {
          userAgent: 'certdrift/test',
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
          ...o,
        }),
      ),
  };
}
