// Which local TLS endpoints serve which certificate file, from the components' command lines
// (host processes' /proc/<pid>/cmdline, static pod manifests' command/args) with each
// component's defaults. Pure. Defaults (Kubernetes and etcd documentation):
//  - kube-apiserver: --secure-port 6443, --tls-cert-file (absent: a self-signed cert in --cert-dir)
//  - kubelet: port 10250 (--port or KubeletConfiguration port), tlsCertFile / --tls-cert-file,
//    else <cert-dir>/kubelet-server-current.pem with serverTLSBootstrap (rotated via CSR), else
//    the self-signed <cert-dir>/kubelet.crt (cert-dir default /var/lib/kubelet/pki)
//  - etcd: https URLs of --listen-client-urls (2379) with --cert-file, of --listen-peer-urls
//    (2380) with --peer-cert-file
//  - kube-scheduler --secure-port 10259, kube-controller-manager --secure-port 10257, each with
//    --tls-cert-file (absent: an in-memory self-signed certificate, nothing on disk to compare)
// kube-proxy serves no TLS (healthz 10256, metrics 10249 are plain HTTP).

export interface ComponentCommand {
  /** where the command line came from: `pid:123`, or a manifest path */
  source: string;
  argv: readonly string[];
}

/** The few KubeletConfiguration fields that decide its serving certificate. */
export interface KubeletServing {
  port?: number;
  tlsCertFile?: string;
  serverTLSBootstrap?: boolean;
}

export type ServedComponent =
  | 'kube-apiserver'
  | 'kubelet'
  | 'etcd'
  | 'etcd-peer'
  | 'kube-scheduler'
  | 'kube-controller-manager';

export interface ServingEndpoint {
  component: ServedComponent;
  host: string;
  port: number;
  /** the node path of the certificate the component is configured to serve; absent: none on disk */
  certFile?: string;
  source: string;
}

const KNOWN = new Set([
  'kube-apiserver',
  'kubelet',
  'etcd',
  'kube-scheduler',
  'kube-controller-manager',
]);

/** `--flag=value` or `--flag value`; the last occurrence wins, as in pflag. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  let v: string | undefined;
  argv.forEach((a, i) => {
    if (a.startsWith(`${flag}=`)) v = a.slice(flag.length + 1);
    else if (a === flag && i + 1 < argv.length) v = argv[i + 1];
  });
  return v;
}

function port(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : fallback;
}

/** A local address to dial for a bind address: wildcard and empty mean loopback. */
function dialHost(bind: string | undefined): string {
  if (!bind || bind === '0.0.0.0' || bind === '::' || bind === '[::]') return '127.0.0.1';
  return bind.replace(/^\[|\]$/g, '');
}

function httpsUrls(v: string | undefined): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  for (const u of (v ?? '').split(',')) {
    const m = /^https:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(u.trim());
    if (!m) continue;
    const host = m[1] === 'localhost' ? '127.0.0.1' : dialHost(m[1]);
    out.push({ host, port: port(m[2], 443) });
  }
  return out;
}

export function componentOf(argv: readonly string[]): string {
  const first = argv[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
}

/** The control-plane components that serve on --bind-address:--secure-port, and their default port. */
// A Map, not an object: a process named `constructor` must not find Object's.
const SECURE_PORT_DEFAULTS: ReadonlyMap<string, number> = new Map([
  ['kube-apiserver', 6443],
  ['kube-scheduler', 10259],
  ['kube-controller-manager', 10257],
]);

type At = (
  component: ServedComponent,
  host: string,
  p: number,
  certFile?: string,
) => ServingEndpoint;
type Flag = (flag: string) => string | undefined;

/** kubelet's serving certificate: --tls-cert-file, its config, else the file in --cert-dir. */
function kubeletEndpoint(
  c: ComponentCommand,
  f: Flag,
  kubelet: KubeletServing | undefined,
  at: At,
): ServingEndpoint {
  const certDir = f('--cert-dir') ?? '/var/lib/kubelet/pki';
  const bootstrap =
    kubelet?.serverTLSBootstrap === true ||
    f('--rotate-server-certificates') === 'true' ||
    c.argv.includes('--rotate-server-certificates');
  const file =
    f('--tls-cert-file') ??
    kubelet?.tlsCertFile ??
    `${certDir}/${bootstrap ? 'kubelet-server-current.pem' : 'kubelet.crt'}`;
  return at('kubelet', dialHost(f('--address')), port(f('--port'), kubelet?.port ?? 10250), file);
}

/** etcd's https client and peer URLs, each with its certificate. */
function etcdEndpoints(f: Flag, at: At): ServingEndpoint[] {
  const client = httpsUrls(f('--listen-client-urls')).map((u) =>
    at('etcd', u.host, u.port, f('--cert-file')),
  );
  const peer = httpsUrls(f('--listen-peer-urls')).map((u) =>
    at('etcd-peer', u.host, u.port, f('--peer-cert-file')),
  );
  return [...client, ...peer];
}

function endpointsOf(c: ComponentCommand, kubelet: KubeletServing | undefined): ServingEndpoint[] {
  const name = componentOf(c.argv);
  const f: Flag = (flag) => flagValue(c.argv, flag);
  const at: At = (component, host, p, certFile) => ({
    component,
    host,
    port: p,
    ...(certFile ? { certFile } : {}),
    source: c.source,
  });
  const securePort = SECURE_PORT_DEFAULTS.get(name);
  if (securePort !== undefined)
    return [
      at(
        name as ServedComponent,
        dialHost(f('--bind-address')),
        port(f('--secure-port'), securePort),
        f('--tls-cert-file'),
      ),
    ];
  if (name === 'kubelet') return [kubeletEndpoint(c, f, kubelet, at)];
  if (name === 'etcd') return etcdEndpoints(f, at);
  return [];
}

/**
 * Every serving endpoint the commands describe, one per source and host:port (pass running
 * processes before manifests, so what runs is probed first). Not deduplicated across sources:
 * a process that names another's port must not hide it; the probe dials each listening socket
 * once (choose-dials.ts).
 */
export function discoverServingEndpoints(
  commands: readonly ComponentCommand[],
  kubelet?: KubeletServing,
): ServingEndpoint[] {
  const seen = new Set<string>();
  const out: ServingEndpoint[] = [];
  for (const c of commands) {
    if (!KNOWN.has(componentOf(c.argv))) continue;
    for (const e of endpointsOf(c, kubelet)) {
      const key = `${e.source}|${e.host}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}
