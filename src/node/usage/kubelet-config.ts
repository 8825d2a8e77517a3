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
  /^\s*"?(tlsCertFile|clientCAFile|staticPodPath|port|serverTLSBootstrap|rotateCertificates)"?\s*:\s*(.*?)\s*,?\s*$/;

function unquote(v: string): string {
  const s = v.replace(/\s+#.*$/, '');
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
    return s.slice(1, -1);
  return s;
}

type Key =
  | 'tlsCertFile'
  | 'clientCAFile'
  | 'staticPodPath'
  | 'port'
  | 'serverTLSBootstrap'
  | 'rotateCertificates';

const KEYS: readonly Key[] = [
  'tlsCertFile',
  'clientCAFile',
  'staticPodPath',
  'port',
  'serverTLSBootstrap',
  'rotateCertificates',
];

/**
 * A JSON config on one line (EKS's AL2 bootstrap writes `{"kind":…,"serverTLSBootstrap":true}`)
 * has no key per line: read it as JSON (built in, no parser to load). Values become the
 * strings the line reader would have produced; `clientCAFile` is `authentication.x509`'s.
 */
function readJsonKeys(text: string): Partial<Record<Key, string>> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined; // not JSON after all (or truncated): the line reader does what it can
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const top = doc as Record<string, unknown>;
  const x509 = (top.authentication as { x509?: Record<string, unknown> } | undefined)?.x509;
  const out: Partial<Record<Key, string>> = {};
  for (const key of KEYS) {
    const v = key === 'clientCAFile' ? (x509?.clientCAFile ?? top.clientCAFile) : top[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
  }
  return out;
}

/** The first value of each key, unquoted; null and empty values are absent. */
function readKeys(text: string): Partial<Record<Key, string>> {
  if (text.trimStart().startsWith('{')) {
    const json = readJsonKeys(text);
    if (json) return json;
  }
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

/** How kubelet gets its certificates, as its config file says (YAML or JSON). */
export interface KubeletRotationFields {
  serverTLSBootstrap: boolean;
  /** absent: not set in the file (kubelet's own default is off) */
  rotateCertificates?: boolean;
  /** absent: not set (kubelet serves on 10250) */
  port?: number;
}

export function readKubeletRotation(text: string): KubeletRotationFields {
  const k = readKeys(text);
  const { port } = readKubeletServing(text);
  const rotate = k.rotateCertificates;
  return {
    serverTLSBootstrap: k.serverTLSBootstrap === 'true',
    ...(rotate === 'true' || rotate === 'false' ? { rotateCertificates: rotate === 'true' } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}
