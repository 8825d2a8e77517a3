// Kubeconfig mode as operators use it (plan and rotate run from their machines): only the
// current context's cluster and user, paths relative to the kubeconfig, the server's path prefix
// kept, tls-server-name, insecure-skip-tls-verify, client certificates, tokenFile, exec plugins
// (v1 and v1beta1, a real script, cached until expiry, re-run on 401) and CONNECT proxies —
// and a clear error, never an anonymous request, for anything else.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubeconfigConnection } from '../../src/adapters/kube/kubeconfig.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { ClusterError } from '../../src/model/cluster.js';
import { issue } from '../support/certs.js';
import { ConnectProxy } from '../support/connect-proxy.js';
import { haveKubectl, KubeEmulator } from '../support/kube-emulator/index.js';
import { needKubectl } from './setup.js';

let emu: KubeEmulator;
let prefixed: KubeEmulator;
let proxy: ConnectProxy;
before(async () => {
  if (!haveKubectl()) return;
  emu = new KubeEmulator({ sans: ['DNS:api.internal'] });
  await emu.start();
  prefixed = new KubeEmulator({ pathPrefix: '/k8s/clusters/c-m-1' });
  await prefixed.start();
  for (const e of [emu, prefixed]) e.seed('', 'nodes', { metadata: { name: 'n1' } });
  proxy = new ConnectProxy();
  await proxy.start();
});
after(async () => {
  if (!haveKubectl()) return;
  await Promise.all([emu.stop(), prefixed.stop(), proxy.stop()]);
});

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
      userAgent: 'certdrift/test',
      maxAttempts: 2,
      sleep: () => Promise.resolve(),
    }),
  );

test('client certificate and CA from files relative to the kubeconfig', async (t) => {
  if (!needKubectl(t)) return;
  const now = new Date();
  const user = await issue({
    cn: 'ops',
    o: ['system:masters'],
    issuer: emu.ca,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3_600_000),
    key: 'p256',
    eku: ['clientAuth'],
  });
  const { dir, path } = kubeconfig(
    { server: emu.url, 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'api.internal' },
    { 'client-certificate': 'pki/ops.crt', 'client-key': 'pki/ops.key' },
  );
  mkdirSync(join(dir, 'sub', 'pki'));
  writeFileSync(join(dir, 'sub', 'pki', 'ca.crt'), emu.ca.pem);
  writeFileSync(join(dir, 'sub', 'pki', 'ops.crt'), user.pem);
  writeFileSync(join(dir, 'sub', 'pki', 'ops.key'), user.keyPem);
  emu.requests.length = 0;
  assert.equal((await clientOf(path).getNode('n1')).uid, emu.find('', 'nodes', 'n1')?.metadata.uid);
  assert.deepEqual(
    emu.requests.map((r) => [r.user, r.credential]),
    [['ops', 'cert:ops']],
  );
});

test('tls-server-name is the name verified; without it a certificate for another name is refused', async (t) => {
  if (!needKubectl(t)) return;
  const token = emu.adminToken();
  const ca = Buffer.from(emu.ca.pem).toString('base64');
  const ok = kubeconfig(
    { server: emu.url, 'certificate-authority-data': ca, 'tls-server-name': 'api.internal' },
    { token },
  );
  await clientOf(ok.path).getNode('n1');
  const wrong = kubeconfig({ server: emu.url, 'certificate-authority-data': ca }, { token });
  await assert.rejects(
    clientOf(wrong.path).getNode('n1'),
    /IP: 127\.0\.0\.1 is not in the cert's list|altnames/,
  );
  const insecure = kubeconfig({ server: emu.url, 'insecure-skip-tls-verify': true }, { token });
  await clientOf(insecure.path).getNode('n1');
  const both = kubeconfig(
    { server: emu.url, 'insecure-skip-tls-verify': true, 'certificate-authority-data': ca },
    { token },
  );
  assert.throws(
    () => kubeconfigConnection(both.path),
    /root certificates file with the insecure flag is not allowed/,
  );
});

test("the server URL's path prefix is kept (Rancher-proxied clusters); tokenFile is relative", async (t) => {
  if (!needKubectl(t)) return;
  const { dir, path } = kubeconfig(
    {
      server: prefixed.url,
      'certificate-authority-data': Buffer.from(prefixed.ca.pem).toString('base64'),
    },
    { tokenFile: 'token' },
  );
  writeFileSync(join(dir, 'sub', 'token'), prefixed.adminToken());
  prefixed.requests.length = 0;
  await clientOf(path).getNode('n1');
  assert.deepEqual(
    prefixed.requests.map((r) => [r.path, r.code]),
    [['/k8s/clusters/c-m-1/api/v1/nodes/n1', 200]],
  );
});

test('never another context: a missing current-context, context, cluster or user is an error', (t) => {
  if (!needKubectl(t)) return;
  const base = { server: emu.url };
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

test('unsupported credentials are clear errors, never anonymous requests', (t) => {
  if (!needKubectl(t)) return;
  const base = { server: emu.url };
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

for (const apiVersion of [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
])
  test(`exec plugin ${apiVersion}: run once, cached until expirationTimestamp, re-run on 401`, async (t) => {
    if (!needKubectl(t)) return;
    const ca = Buffer.from(emu.ca.pem).toString('base64');
    const state = mkdtempSync(join(tmpdir(), 'certdrift-exec-'));
    const { dir, path } = kubeconfig(
      { server: emu.url, 'certificate-authority-data': ca, 'tls-server-name': 'api.internal' },
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
    const first = emu.adminToken();
    execPlugin(dir, state, apiVersion, first, new Date(Date.now() + 3_600_000).toISOString());
    const client = clientOf(path);
    await client.getNode('n1');
    await client.getNode('n1');
    assert.equal(runs(state), 1, 'cached until it expires');
    const info = JSON.parse(readFileSync(join(state, 'sub', 'info'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      spec: { interactive: boolean; cluster: { server: string } };
    };
    assert.deepEqual(
      [info.apiVersion, info.kind, info.spec.interactive, info.spec.cluster.server],
      [apiVersion, 'ExecCredential', false, emu.url],
    );
    // The credential is revoked server-side: 401, the plugin runs again, the call succeeds.
    const second = emu.adminToken();
    writeFileSync(join(state, 'sub', 'token'), second);
    emu.tokens.revoke(first);
    await client.getNode('n1');
    assert.equal(runs(state), 2);
    // A credential that comes back already expired is never reused.
    writeFileSync(join(state, 'sub', 'exp'), new Date(Date.now() - 1000).toISOString());
    emu.tokens.revoke(second);
    writeFileSync(join(state, 'sub', 'token'), emu.adminToken());
    await client.getNode('n1');
    const afterRefresh = runs(state);
    assert.ok(afterRefresh >= 3);
    await client.getNode('n1');
    assert.equal(runs(state), afterRefresh + 1, 'run again for each request while expired');
  });

test('an exec plugin that fails or answers garbage is a clear error', async (t) => {
  if (!needKubectl(t)) return;
  const { dir, path } = kubeconfig(
    { server: emu.url, 'insecure-skip-tls-verify': true },
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
  await assert.rejects(
    clientOf(path).getNode('n1'),
    (e: unknown) =>
      e instanceof ClusterError &&
      /exec plugin .*bad\.sh: no credentials for you\?\[31m\ninstall bad-plugin/.test(e.message),
  );
  assert.ok(
    !emu.requests.some((r) => r.user === 'system:anonymous'),
    'nothing was sent anonymously',
  );
  writeFileSync(
    join(dir, 'sub', 'bad.sh'),
    '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}\'\n',
  );
  await assert.rejects(
    clientOf(path).getNode('n1'),
    /answered ExecCredential client.authentication.k8s.io\/v1, expected ExecCredential client.authentication.k8s.io\/v1beta1/,
  );
});

test('proxy-url and HTTPS_PROXY tunnel through a real CONNECT proxy; NO_PROXY bypasses it', async (t) => {
  if (!needKubectl(t)) return;
  const token = emu.adminToken();
  const ca = Buffer.from(emu.ca.pem).toString('base64');
  const target = new URL(emu.url).host;
  const viaUrl = kubeconfig(
    {
      server: emu.url,
      'certificate-authority-data': ca,
      'tls-server-name': 'api.internal',
      'proxy-url': proxy.url,
    },
    { token },
  );
  proxy.tunnels.length = 0;
  await clientOf(viaUrl.path).getNode('n1');
  assert.deepEqual(proxy.tunnels, [target]);
  const viaEnv = kubeconfig(
    { server: emu.url, 'certificate-authority-data': ca, 'tls-server-name': 'api.internal' },
    { token },
  );
  await clientOf(viaEnv.path, { HTTPS_PROXY: proxy.url }).getNode('n1');
  assert.equal(proxy.tunnels.length, 2);
  await clientOf(viaEnv.path, {
    HTTPS_PROXY: proxy.url,
    NO_PROXY: 'example.com,127.0.0.0/8',
  }).getNode('n1');
  assert.equal(proxy.tunnels.length, 2, 'NO_PROXY (CIDR) bypasses the proxy');
  proxy.credentials = 'u:p';
  await assert.rejects(clientOf(viaUrl.path).getNode('n1'), /refused CONNECT .*: 407/);
  const withAuth = kubeconfig(
    {
      server: emu.url,
      'certificate-authority-data': ca,
      'tls-server-name': 'api.internal',
      'proxy-url': proxy.url.replace('http://', 'http://u:p@'),
    },
    { token },
  );
  await clientOf(withAuth.path).getNode('n1');
  proxy.credentials = undefined;
});
