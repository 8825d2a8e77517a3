// Kubeconfig mode as operators use it (plan and rotate run from their machines), against the real
// control plane: only the current context's cluster and user, paths relative to the kubeconfig,
// the server's path prefix kept (behind a prefix-stripping proxy, as Rancher's), tls-server-name,
// insecure-skip-tls-verify, client certificates from the cluster CA, tokenFile, exec plugins (v1
// and v1beta1, a real script, cached until expiry, re-run when the server revokes the token) and
// CONNECT proxies — and a clear error, never an anonymous request, for anything else.

import { describe, it, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubeconfigConnection } from '../../src/adapters/kube/kubeconfig.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { ClusterError } from '../../src/model/cluster.js';
import { ConnectProxy } from '../support/connect-proxy.js';
import { FaultProxy } from '../support/control-plane/fault-proxy.js';
import { unique, type ControlPlane } from '../support/control-plane/index.js';
import { startCluster, type ClusterLab } from './setup.js';

/** every request of this file says so: the audit log tells them from other files' */
const UA = `certdrift/test-${unique('kubeconfig')}`;

type User = Record<string, unknown>;
type Cluster = Record<string, unknown>;

/** Writes a kubeconfig with a decoy context first (whose credentials must never be used). */
function kubeconfig(
  cluster: Cluster,
  user: User,
  extra: Record<string, unknown> = {},
): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-kc-'));
  mkdirSync(join(dir, 'sub'));
  const path = join(dir, 'sub', 'config');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'real',
      contexts: [
        { name: 'decoy', context: { cluster: 'decoy', user: 'decoy' } },
        { name: 'real', context: { cluster: 'real', user: 'real' } },
      ],
      clusters: [
        { name: 'decoy', cluster: { server: 'https://decoy.invalid' } },
        { name: 'real', cluster },
      ],
      users: [
        { name: 'decoy', user: { token: 'decoy-secret' } },
        { name: 'real', user },
      ],
      ...extra,
    }),
  );
  return { dir, path };
}

const clientOf = (path: string, env: Record<string, string> = {}): HttpCluster =>
  new HttpCluster(
    new KubeApi(kubeconfigConnection(path, { env }), {
      userAgent: UA,
      maxAttempts: 2,
      sleep: () => Promise.resolve(),
    }),
  );

/** The agent's service account installed (its role may get Nodes) and one Node of the test's. */
async function lab(t: TestContext): Promise<(ClusterLab & { token: string }) | undefined> {
  const l = await startCluster(t, { kubelet: false });
  if (!l) return undefined;
  return { ...l, token: await l.rotate() };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const uidOf = async (cp: ControlPlane, node: string) =>
  (await cp.admin.get(`/api/v1/nodes/${node}`)).metadata?.uid;

test('client certificate and CA from files relative to the kubeconfig', async (t) => {
  const l = await lab(t);
  if (!l) return;
  const { cp, node } = l;
  const user = unique('ops');
  const issued = cp.userCert(user, ['system:masters']);
  const { dir, path } = kubeconfig(
    { server: cp.url, 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'kubernetes' },
    { 'client-certificate': 'pki/ops.crt', 'client-key': 'pki/ops.key' },
  );
  mkdirSync(join(dir, 'sub', 'pki'));
  writeFileSync(join(dir, 'sub', 'pki', 'ca.crt'), cp.ca);
  copyFileSync(issued.cert, join(dir, 'sub', 'pki', 'ops.crt'));
  copyFileSync(issued.key, join(dir, 'sub', 'pki', 'ops.key'));
  const mark = cp.auditMark();
  assert.equal((await clientOf(path).getNode(node)).uid, await uidOf(cp, node));
  assert.deepEqual(
    (await cp.audit(user, mark)).map((e) => [
      e.verb,
      e.objectRef?.resource,
      e.responseStatus?.code,
    ]),
    [['get', 'nodes', 200]],
    "the server saw the certificate's user",
  );
});

test('tls-server-name is the name verified; without it a certificate for another name is refused', async (t) => {
  const l = await lab(t);
  if (!l) return;
  const { cp, node, token } = l;
  const ca = b64(cp.ca);
  // The real server's certificate names 127.0.0.1, localhost and kubernetes.default.svc.
  const ok = kubeconfig(
    {
      server: cp.url,
      'certificate-authority-data': ca,
      'tls-server-name': 'kubernetes.default.svc',
    },
    { token },
  );
  await clientOf(ok.path).getNode(node);
  const other = kubeconfig(
    { server: cp.url, 'certificate-authority-data': ca, 'tls-server-name': 'api.internal' },
    { token },
  );
  await assert.rejects(
    clientOf(other.path).getNode(node),
    /Host: api\.internal\. is not in the cert's altnames/,
    "the name verified is tls-server-name, although the URL's address is in the certificate",
  );
  // A front end whose certificate names only api.internal (a load balancer's).
  const front = new FaultProxy(cp.url, cp.ca, { sans: ['DNS:api.internal'] });
  await front.start();
  t.after(() => front.stop());
  const fca = b64(front.ca);
  const named = kubeconfig(
    { server: front.url, 'certificate-authority-data': fca, 'tls-server-name': 'api.internal' },
    { token },
  );
  await clientOf(named.path).getNode(node);
  const wrong = kubeconfig({ server: front.url, 'certificate-authority-data': fca }, { token });
  await assert.rejects(
    clientOf(wrong.path).getNode(node),
    /IP: 127\.0\.0\.1 is not in the cert's list|altnames/,
  );
  const insecure = kubeconfig({ server: front.url, 'insecure-skip-tls-verify': true }, { token });
  await clientOf(insecure.path).getNode(node);
  const both = kubeconfig(
    { server: cp.url, 'insecure-skip-tls-verify': true, 'certificate-authority-data': ca },
    { token },
  );
  assert.throws(
    () => kubeconfigConnection(both.path),
    /root certificates file with the insecure flag is not allowed/,
  );
});

test("the server URL's path prefix is kept (Rancher-proxied clusters); tokenFile is relative", async (t) => {
  const l = await lab(t);
  if (!l) return;
  const { cp, node, token } = l;
  // Rancher's proxy answers only under /k8s/clusters/<id> and forwards without the prefix.
  const rancher = new FaultProxy(cp.url, cp.ca, { pathPrefix: '/k8s/clusters/c-m-1' });
  await rancher.start();
  t.after(() => rancher.stop());
  const { dir, path } = kubeconfig(
    { server: `${rancher.url}/k8s/clusters/c-m-1`, 'certificate-authority-data': b64(rancher.ca) },
    { tokenFile: 'token' },
  );
  writeFileSync(join(dir, 'sub', 'token'), token);
  const mark = cp.auditMark();
  await clientOf(path).getNode(node);
  assert.deepEqual(
    rancher.requests.map((r) => [r.path, r.status]),
    [[`/api/v1/nodes/${node}`, 200]],
    'asked under the prefix (anything else is a 404 there)',
  );
  assert.deepEqual(
    (await l.calls(mark)).map((e) => [e.requestURI, e.responseStatus?.code]),
    [[`/api/v1/nodes/${node}`, 200]],
  );
});

test('never another context: a missing current-context, context, cluster or user is an error', () => {
  // never contacted: the kubeconfig is refused before any request
  const base = { server: 'https://127.0.0.1:1' };
  assert.throws(
    () =>
      kubeconfigConnection(kubeconfig(base, { token: 'x' }, { 'current-context': undefined }).path),
    /no current-context/,
  );
  assert.throws(
    () =>
      kubeconfigConnection(kubeconfig(base, { token: 'x' }, { 'current-context': 'gone' }).path),
    /context "gone" not found/,
  );
  const noUser = kubeconfig(
    base,
    { token: 'x' },
    { users: [{ name: 'decoy', user: { token: 'decoy-secret' } }] },
  );
  assert.throws(() => kubeconfigConnection(noUser.path), /user "real" of context "real" not found/);
});

test('unsupported credentials are clear errors, never anonymous requests', () => {
  // never contacted: the kubeconfig is refused before any request
  const base = { server: 'https://127.0.0.1:1' };
  assert.throws(
    () => kubeconfigConnection(kubeconfig(base, { 'auth-provider': { name: 'gcp' } }).path),
    /auth-provider plugins were removed/,
  );
  assert.throws(
    () => kubeconfigConnection(kubeconfig(base, { username: 'u', password: 'p' }).path),
    /basic authentication is not supported/,
  );
  assert.throws(() => kubeconfigConnection(kubeconfig(base, {}).path), /has no usable credential/);
  assert.throws(
    () => kubeconfigConnection(kubeconfig(base, { token: 't', as: 'someone' }).path),
    /impersonation/,
  );
  assert.throws(
    () =>
      kubeconfigConnection(
        kubeconfig({ ...base, 'proxy-url': 'socks5://127.0.0.1:1080' }, { token: 't' }).path,
      ),
    /socks5:\/\/ is not supported/,
  );
  assert.throws(
    () =>
      kubeconfigConnection(
        kubeconfig(base, {
          exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' },
        }).path,
      ),
    /v1alpha1.*not supported/,
  );
});

/** A real exec plugin: a shell script that logs its runs and answers an ExecCredential. */
function execPlugin(
  dir: string,
  state: string,
  apiVersion: string,
  token: string,
  expires: string,
): void {
  writeFileSync(join(state, 'sub', 'token'), token);
  writeFileSync(join(state, 'sub', 'exp'), expires);
  writeFileSync(
    join(dir, 'sub', 'plugin.sh'),
    `#!/bin/sh
set -e
echo run >> "$STATE/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$STATE/info"
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "${apiVersion}" "$(cat "$STATE/token")" "$(cat "$STATE/exp")"
`,
  );
  chmodSync(join(dir, 'sub', 'plugin.sh'), 0o755);
}
const runs = (dir: string): number =>
  readFileSync(join(dir, 'sub', 'runs'), 'utf8')
    .split('\n')
    .filter(Boolean).length;

describe('exec plugins', { concurrency: true }, () => {
  for (const apiVersion of [
    'client.authentication.k8s.io/v1',
    'client.authentication.k8s.io/v1beta1',
  ])
    it(`exec plugin ${apiVersion}: run once, cached until expirationTimestamp, re-run on 401`, async (t) => {
      const l = await lab(t);
      if (!l) return;
      const { cp, node } = l;
      const state = mkdtempSync(join(tmpdir(), 'certdrift-exec-'));
      const { dir, path } = kubeconfig(
        { server: cp.url, 'certificate-authority-data': b64(cp.ca) },
        {
          exec: {
            apiVersion,
            command: './plugin.sh',
            env: [{ name: 'STATE', value: join(state, 'sub') }],
            provideClusterInfo: true,
            ...(apiVersion.endsWith('/v1') ? { interactiveMode: 'Never' } : {}),
          },
        },
      );
      mkdirSync(join(state, 'sub'));
      const first = l.token;
      execPlugin(dir, state, apiVersion, first, new Date(Date.now() + 3_600_000).toISOString());
      const client = clientOf(path);
      await client.getNode(node);
      await client.getNode(node);
      assert.equal(runs(state), 1, 'cached until it expires');
      const info = JSON.parse(readFileSync(join(state, 'sub', 'info'), 'utf8')) as {
        apiVersion: string;
        kind: string;
        spec: { interactive: boolean; cluster: { server: string } };
      };
      assert.deepEqual(
        [info.apiVersion, info.kind, info.spec.interactive, info.spec.cluster.server],
        [apiVersion, 'ExecCredential', false, cp.url],
      );
      // The server revokes the credential: 401, the plugin runs again, the call succeeds. The
      // new one expires in two seconds.
      const second = await l.rotate();
      writeFileSync(join(state, 'sub', 'token'), second);
      await l.revoke(first);
      writeFileSync(join(state, 'sub', 'exp'), new Date(Date.now() + 2000).toISOString());
      await client.getNode(node);
      assert.equal(runs(state), 2);
      // Past its expirationTimestamp it is not reused: the plugin runs again, and a credential
      // that comes back already expired is never reused either.
      await new Promise((r) => setTimeout(r, 2100));
      writeFileSync(join(state, 'sub', 'exp'), new Date(Date.now() - 1000).toISOString());
      await client.getNode(node);
      assert.equal(runs(state), 3);
      await client.getNode(node);
      assert.equal(runs(state), 4, 'run again for each request while expired');
    });
});

test('an exec plugin that fails or answers garbage is a clear error', async (t) => {
  const l = await lab(t);
  if (!l) return;
  const { cp, node } = l;
  const { dir, path } = kubeconfig(
    { server: cp.url, 'insecure-skip-tls-verify': true },
    {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: './bad.sh',
        installHint: 'install bad-plugin',
      },
    },
  );
  writeFileSync(
    join(dir, 'sub', 'bad.sh'),
    '#!/bin/sh\necho "no credentials for you\\033[31m" >&2\nexit 3\n',
  );
  chmodSync(join(dir, 'sub', 'bad.sh'), 0o755);
  const mark = cp.auditMark();
  await assert.rejects(
    clientOf(path).getNode(node),
    (e: unknown) =>
      e instanceof ClusterError &&
      /exec plugin .*bad\.sh: no credentials for you\?\[31m\ninstall bad-plugin/.test(e.message),
  );
  assert.deepEqual(
    (await cp.audit('system:anonymous', mark)).filter((e) => e.userAgent === UA),
    [],
    'nothing was sent anonymously',
  );
  writeFileSync(
    join(dir, 'sub', 'bad.sh'),
    '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}\'\n',
  );
  await assert.rejects(
    clientOf(path).getNode(node),
    /answered ExecCredential client.authentication.k8s.io\/v1, expected ExecCredential client.authentication.k8s.io\/v1beta1/,
  );
});

test('proxy-url and HTTPS_PROXY tunnel through a real CONNECT proxy; NO_PROXY bypasses it', async (t) => {
  const l = await lab(t);
  if (!l) return;
  const { cp, node, token } = l;
  const proxy = new ConnectProxy();
  await proxy.start();
  t.after(() => proxy.stop());
  const ca = b64(cp.ca);
  const target = new URL(cp.url).host;
  const viaUrl = kubeconfig(
    { server: cp.url, 'certificate-authority-data': ca, 'proxy-url': proxy.url },
    { token },
  );
  await clientOf(viaUrl.path).getNode(node);
  assert.deepEqual(proxy.tunnels, [target]);
  const viaEnv = kubeconfig({ server: cp.url, 'certificate-authority-data': ca }, { token });
  await clientOf(viaEnv.path, { HTTPS_PROXY: proxy.url }).getNode(node);
  assert.equal(proxy.tunnels.length, 2);
  await clientOf(viaEnv.path, {
    HTTPS_PROXY: proxy.url,
    NO_PROXY: 'example.com,127.0.0.0/8',
  }).getNode(node);
  assert.equal(proxy.tunnels.length, 2, 'NO_PROXY (CIDR) bypasses the proxy');
  proxy.credentials = 'u:p';
  await assert.rejects(clientOf(viaUrl.path).getNode(node), /refused CONNECT .*: 407/);
  const withAuth = kubeconfig(
    {
      server: cp.url,
      'certificate-authority-data': ca,
      'proxy-url': proxy.url.replace('http://', 'http://u:p@'),
    },
    { token },
  );
  await clientOf(withAuth.path).getNode(node);
});
