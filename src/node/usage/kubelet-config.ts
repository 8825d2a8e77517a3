// The certificate paths in a kubelet configuration file (KubeletConfiguration, YAML or JSON):
// `tlsCertFile`, `authentication.x509.clientCAFile`, and `staticPodPath` (where the static pods
// whose flags name more certificates live); and for the served-certificate probe `port` and
// `serverTLSBootstrap`, which decide what kubelet serves. Pure. A line-oriented reader on purpose: these keys
// are scalars in every kubelet config seen in the field, and the `yaml` package costs ~40 ms to
// load for three values.

export interface KubeletConfigPaths {
  tlsCertFile?: string;
  clientCAFile?: string;
  staticPodPath?: string;
}

const KEY =
  /^\s*"?(tlsCertFile|clientCAFile|staticPodPath|port|serverTLSBootstrap)"?\s*:\s*(.*?)\s*,?\s*$/;

function unquote(v: string): string {
  const s = v.replace(/\s+#.*$/, '');
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
    return s.slice(1, -1);
  return s;
}

type Key = 'tlsCertFile' | 'clientCAFile' | 'staticPodPath' | 'port' | 'serverTLSBootstrap';

/** The first value of each key, unquoted; null and empty values are absent. */
function readKeys(text: string): Partial<Record<Key, string>> {
  const out: Partial<Record<Key, string>> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = KEY.exec(line);
    if (!m) continue;
    const value = unquote(m[2] ?? '');
    if (!value || value === 'null' || value === '""') continue;
    out[m[1] as Key] ??= value;
  }
  return out;
}

export function readKubeletConfigPaths(text: string): KubeletConfigPaths {
  const k = readKeys(text);
  return {
    ...(k.tlsCertFile !== undefined ? { tlsCertFile: k.tlsCertFile } : {}),
    ...(k.clientCAFile !== undefined ? { clientCAFile: k.clientCAFile } : {}),
    ...(k.staticPodPath !== undefined ? { staticPodPath: k.staticPodPath } : {}),
  };
}

/** The KubeletConfiguration fields that pick its serving port and certificate. */
export interface KubeletServingFields {
  port?: number;
  tlsCertFile?: string;
  serverTLSBootstrap?: boolean;
}

/** The serving fields of a kubelet config file, YAML or JSON (the same reader as the paths). */
export function readKubeletServing(text: string): KubeletServingFields {
  const k = readKeys(text);
  const port = Number(k.port);
  return {
    ...(Number.isInteger(port) && port > 0 && port < 65536 ? { port } : {}),
    ...(k.tlsCertFile !== undefined ? { tlsCertFile: k.tlsCertFile } : {}),
    serverTLSBootstrap: k.serverTLSBootstrap === 'true',
  };
}
