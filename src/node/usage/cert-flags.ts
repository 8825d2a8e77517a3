// Command-line flags that name certificate, CA or kubeconfig files, for the components certdrift
// knows (kube-apiserver, etcd, kubelet, kube-proxy, scheduler, controller-manager), and how to
// read them off an argument list. Pure.

/** Flags whose value is a file holding certificates (or a kubeconfig that embeds or names them). */
export const CERT_FLAGS: ReadonlySet<string> = new Set([
  // kube-apiserver, and the serving flags every component shares (k8s.io/apiserver options)
  '--tls-cert-file',
  '--client-ca-file',
  '--kubelet-client-certificate',
  '--kubelet-certificate-authority',
  '--etcd-certfile',
  '--etcd-cafile',
  '--proxy-client-cert-file',
  '--requestheader-client-ca-file',
  // controller-manager
  '--root-ca-file',
  '--cluster-signing-cert-file',
  '--kubeconfig',
  '--authentication-kubeconfig',
  '--authorization-kubeconfig',
  // etcd (both spellings: flags and env-style are the same names with --)
  '--cert-file',
  '--peer-cert-file',
  '--trusted-ca-file',
  '--peer-trusted-ca-file',
  // kubelet
  '--bootstrap-kubeconfig',
  '--config',
]);

export interface FlagFile {
  flag: string;
  /** the value as written (a path, relative paths kept as they are) */
  path: string;
}

/**
 * The file-naming flags in an argument list, in `--flag=value` or `--flag value` form. Values
 * that are empty or start with `-` are not paths; `--config` is kept for kubelet only (callers
 * decide), since other tools use it for other things.
 */
export function fileFlags(args: readonly string[]): FlagFile[] {
  const out: FlagFile[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!CERT_FLAGS.has(flag)) continue;
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('-')) value = args[++i];
    if (value) out.push({ flag, path: value });
  }
  return out;
}

/**
 * Shell-style split of a single string (`command: ["/bin/sh", "-c", "kube-proxy --kubeconfig=…"]`
 * as kops renders it): whitespace separates words, quotes group them. Enough to find flags; not a
 * shell.
 */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}
