// A kubeconfig's current context as a Connection, read the way kubectl reads it
// (client-go/tools/clientcmd): relative file paths resolve against the kubeconfig's directory
// (loader.go ResolveLocalPaths), the server URL's path is kept, and only the current context's
// cluster and user are used — a missing current-context, context, cluster or user is an error,
// never a fall-back to another entry (which could send one cluster's credentials to another).
// Supported credentials: token, tokenFile, client certificate (data or file), exec plugins.
// Anything else (auth-provider, basic auth, impersonation) is a clear error, never an anonymous
// request.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import type { Connection } from './connection.js';
import {
  certFileCredentials,
  staticCredentials,
  tokenFileCredentials,
  type Credentials,
} from './credentials.js';
import { execCredentials, type ExecConfig } from './exec-credential.js';
import { checkProxy, proxyFromEnv } from './proxy.js';
import { WatchedFile } from './watched-file.js';

interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

type UserEntry = Record<string, unknown> & {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  exec?: ExecConfig;
};

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: ClusterEntry }[];
  users?: { name: string; user?: UserEntry }[];
}

const UNSUPPORTED: Record<string, string> = {
  'auth-provider':
    'auth-provider plugins were removed from kubectl (1.26); use an exec plugin (e.g. gke-gcloud-auth-plugin, kubelogin)',
  username: 'basic authentication is not supported',
  password: 'basic authentication is not supported',
  as: 'impersonation is not supported',
  'as-groups': 'impersonation is not supported',
  'as-uid': 'impersonation is not supported',
  'as-user-extra': 'impersonation is not supported',
};

export interface KubeconfigOptions {
  env?: Record<string, string | undefined>;
  /** clock for re-read cadence and exec credential expiry (tests) */
  now?: () => number;
  /** kubectl's --context */
  context?: string;
}

/** Throws with the kubeconfig's path in front of the message. */
type Fail = (msg: string) => never;

/** The current (or --context) context's cluster and user; each must exist, no fall-back. */
function currentEntries(
  doc: Kubeconfig,
  opts: KubeconfigOptions,
  fail: Fail,
): { userName: string | undefined; cluster: ClusterEntry & { server: string }; user: UserEntry } {
  const ctxName = opts.context ?? doc['current-context'];
  if (!ctxName) return fail('no current-context (set one with `kubectl config use-context`)');
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) return fail(`context ${JSON.stringify(ctxName)} not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster)
    return fail(
      `cluster ${JSON.stringify(ctx.cluster ?? '')} of context ${JSON.stringify(ctxName)} not found`,
    );
  const user = doc.users?.find((u) => u.name === ctx.user)?.user;
  if (!user)
    return fail(
      `user ${JSON.stringify(ctx.user ?? '')} of context ${JSON.stringify(ctxName)} not found`,
    );
  const server = cluster.server;
  if (!server) return fail(`cluster ${JSON.stringify(ctx.cluster)} has no server`);
  for (const [k, why] of Object.entries(UNSUPPORTED))
    if (user[k] !== undefined) fail(`user ${JSON.stringify(ctx.user)}: ${why}`);
  return { userName: ctx.user, cluster: { ...cluster, server }, user };
}

/** The cluster's CA: inline data, or a file re-read when it changes; none when insecure. */
function clusterCa(
  cluster: ClusterEntry,
  local: (p: string) => string,
  opts: KubeconfigOptions,
  fail: Fail,
): Connection['ca'] {
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const caData = cluster['certificate-authority-data'];
  const caFile = cluster['certificate-authority'];
  // clientcmd validation: a CA together with insecure-skip-tls-verify is refused.
  if (insecure && (caData || caFile))
    fail('specifying a root certificates file with the insecure flag is not allowed');
  if (caData) {
    const bytes = Buffer.from(caData, 'base64');
    return () => bytes;
  }
  if (caFile) {
    const watched = new WatchedFile(local(caFile), opts.now);
    return () => watched.read();
  }
  return undefined;
}

/** The user's one credential: exec plugin, token, token file or client certificate and key. */
function userCredentials(
  user: UserEntry,
  userName: string | undefined,
  cluster: ClusterEntry & { server: string },
  local: (p: string) => string,
  opts: KubeconfigOptions,
  fail: Fail,
): Credentials {
  const token = user.token ?? undefined;
  const hasToken = Boolean(token) || Boolean(user.tokenFile);
  if (user.exec && hasToken)
    fail(`user ${JSON.stringify(userName)}: exec plugin and token are mutually exclusive`);
  if (user.exec) {
    const cmd = user.exec.command ?? '';
    // Like clientcmd: a command with a path separator is relative to the kubeconfig's directory.
    const command = cmd.includes(sep) || cmd.includes('/') ? local(cmd) : cmd;
    return execCredentials({ ...user.exec, command }, cluster, opts.now);
  }
  if (token) return staticCredentials({ token }, `token of user ${userName ?? ''}`);
  if (user.tokenFile) return tokenFileCredentials(local(user.tokenFile), opts.now);
  const certData = user['client-certificate-data'];
  const keyData = user['client-key-data'];
  if (certData && keyData)
    return staticCredentials(
      { cert: Buffer.from(certData, 'base64'), key: Buffer.from(keyData, 'base64') },
      `client certificate of user ${userName ?? ''}`,
    );
  if (user['client-certificate'] && user['client-key'])
    return certFileCredentials(
      local(user['client-certificate']),
      local(user['client-key']),
      opts.now,
    );
  return fail(
    `user ${JSON.stringify(userName)} has no usable credential (token, tokenFile, client certificate and key, or exec)`,
  );
}

export function kubeconfigConnection(path: string, opts: KubeconfigOptions = {}): Connection {
  const fail: Fail = (msg) => {
    throw new Error(`${path}: ${msg}`);
  };
  let doc: Kubeconfig;
  try {
    doc = (parse(readFileSync(path, 'utf8')) ?? {}) as Kubeconfig;
  } catch (e) {
    return fail(`not a readable kubeconfig: ${(e as Error).message}`);
  }
  const dir = dirname(resolve(path));
  const local = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p));
  const { userName, cluster, user } = currentEntries(doc, opts, fail);
  const ca = clusterCa(cluster, local, opts, fail);
  const credentials = userCredentials(user, userName, cluster, local, opts, fail);
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const proxy = cluster['proxy-url'] ?? proxyFromEnv(cluster.server, opts.env ?? {});
  return {
    server: cluster.server,
    ...(ca ? { ca } : {}),
    ...(insecure ? { insecureSkipTlsVerify: true } : {}),
    ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(proxy ? { proxy: checkProxy(proxy) } : {}),
    credentials,
  };
}
