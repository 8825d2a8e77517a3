// Credentials from an exec plugin (client.authentication.k8s.io ExecCredential, v1 and v1beta1):
// how EKS (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`) and AKS (`kubelogin`) users
// authenticate. Follows client-go/plugin/pkg/client/auth/exec/exec.go: the plugin gets
// KUBERNETES_EXEC_INFO (apiVersion, kind, spec.interactive, and spec.cluster when
// provideClusterInfo), answers an ExecCredential of the same apiVersion on stdout, and its
// credential is cached until status.expirationTimestamp; a 401 runs it again. certdrift never
// runs a plugin interactively: `interactiveMode: Always` is an error.

import { execFile } from 'node:child_process';
import type { AuthMaterial, Credentials } from './credentials.js';

export const EXEC_API_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
];

export interface ExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  interactiveMode?: string;
  provideClusterInfo?: boolean;
  installHint?: string;
}

interface ExecStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/** Control characters out, length capped: plugin output reaches terminals and logs. */
const printable = (s: string): string =>
  s
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?')
    .trim()
    .slice(0, 500);

export function parseExecCredential(
  stdout: string,
  apiVersion: string,
): { material: AuthMaterial; expires: number } {
  let doc: { apiVersion?: unknown; kind?: unknown; status?: ExecStatus };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new Error('the exec plugin did not print an ExecCredential (not JSON)');
  }
  if (doc.kind !== 'ExecCredential' || doc.apiVersion !== apiVersion)
    throw new Error(
      `the exec plugin answered ${String(doc.kind)} ${String(doc.apiVersion)}, expected ExecCredential ${apiVersion}`,
    );
  const st = doc.status ?? {};
  const expires = st.expirationTimestamp ? Date.parse(st.expirationTimestamp) : Infinity;
  if (Number.isNaN(expires))
    throw new Error('the exec plugin answered an invalid status.expirationTimestamp');
  if (st.token) return { material: { token: st.token }, expires };
  if (st.clientCertificateData && st.clientKeyData)
    return {
      material: { cert: Buffer.from(st.clientCertificateData), key: Buffer.from(st.clientKeyData) },
      expires,
    };
  throw new Error(
    'the exec plugin answered neither status.token nor status.clientCertificateData and clientKeyData',
  );
}

type ExecCluster = {
  server: string;
  'certificate-authority-data'?: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
};

/** The plugin's apiVersion and command, or why certdrift will not run it. */
function validateExec(cfg: ExecConfig): { apiVersion: string; command: string } {
  const apiVersion = cfg.apiVersion ?? '';
  if (!EXEC_API_VERSIONS.includes(apiVersion))
    throw new Error(
      `exec plugin apiVersion ${JSON.stringify(apiVersion)} is not supported (supported: ${EXEC_API_VERSIONS.join(', ')})`,
    );
  const command = cfg.command;
  if (!command) throw new Error('exec plugin: command is required');
  if (cfg.interactiveMode === 'Always')
    throw new Error(
      `exec plugin ${command}: interactiveMode Always needs a terminal; certdrift runs plugins non-interactively`,
    );
  // v1 makes interactiveMode required (exec.go validation); v1beta1 defaults it to IfAvailable.
  if (apiVersion.endsWith('/v1') && !cfg.interactiveMode)
    throw new Error(`exec plugin ${command}: interactiveMode is required for ${apiVersion}`);
  return { apiVersion, command };
}

/** KUBERNETES_EXEC_INFO: never interactive; the cluster only when provideClusterInfo. */
export function execInfo(cfg: ExecConfig, apiVersion: string, cluster: ExecCluster): string {
  return JSON.stringify({
    apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(cfg.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster['certificate-authority-data']
                ? { 'certificate-authority-data': cluster['certificate-authority-data'] }
                : {}),
              ...(cluster['tls-server-name']
                ? { 'tls-server-name': cluster['tls-server-name'] }
                : {}),
              ...(cluster['insecure-skip-tls-verify'] ? { 'insecure-skip-tls-verify': true } : {}),
            },
          }
        : {}),
    },
  });
}

/** Runs the plugin once (bounded: 60 s, 1 MiB of output) and reads its ExecCredential. */
function runPlugin(
  cfg: ExecConfig,
  command: string,
  apiVersion: string,
  info: string,
): Promise<{ material: AuthMaterial; expires: number }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: info };
    for (const e of cfg.env ?? []) env[e.name] = e.value;
    execFile(
      command,
      cfg.args ?? [],
      { env, timeout: 60_000, maxBuffer: 1 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const hint = cfg.installHint ? `\n${printable(cfg.installHint)}` : '';
          const why =
            'code' in err && err.code === 'ENOENT' ? 'not found' : printable(stderr) || err.message;
          reject(new Error(`exec plugin ${command}: ${why}${hint}`));
          return;
        }
        try {
          resolve(parseExecCredential(stdout, apiVersion));
        } catch (e) {
          reject(new Error(`exec plugin ${command}: ${(e as Error).message}`));
        }
      },
    );
  });
}

export function execCredentials(
  cfg: ExecConfig,
  cluster: ExecCluster,
  now: () => number = Date.now,
): Credentials {
  const { apiVersion, command } = validateExec(cfg);
  const info = execInfo(cfg, apiVersion, cluster);
  const run = (): Promise<{ material: AuthMaterial; expires: number }> =>
    runPlugin(cfg, command, apiVersion, info);
  let cached: { material: AuthMaterial; expires: number } | undefined;
  return {
    describe: `exec plugin ${command}`,
    async get() {
      if (!cached || now() >= cached.expires) cached = await run();
      return cached.material;
    },
    async refresh() {
      const before = cached?.material;
      cached = await run();
      return JSON.stringify(before) !== JSON.stringify(cached.material);
    },
  };
}
