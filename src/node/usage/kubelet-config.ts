// The certificate paths in a kubelet configuration file (KubeletConfiguration, YAML or JSON):
// `tlsCertFile`, `authentication.x509.clientCAFile`, and `staticPodPath` (where the static pods
// whose flags name more certificates live). Pure. A line-oriented reader on purpose: these keys
// are scalars in every kubelet config seen in the field, and the `yaml` package costs ~40 ms to
// load for three values.

export interface KubeletConfigPaths {
  tlsCertFile?: string;
  clientCAFile?: string;
  staticPodPath?: string;
}

const KEY = /^\s*"?(tlsCertFile|clientCAFile|staticPodPath)"?\s*:\s*(.*?)\s*,?\s*$/;

function unquote(v: string): string {
  const s = v.replace(/\s+#.*$/, '');
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
    return s.slice(1, -1);
  return s;
}

export function readKubeletConfigPaths(text: string): KubeletConfigPaths {
  const out: KubeletConfigPaths = {};
  for (const line of text.split(/\r?\n/)) {
    const m = KEY.exec(line);
    if (!m) continue;
    const value = unquote(m[2] ?? '');
    if (!value || value === 'null' || value === '""') continue;
    const key = m[1] as keyof KubeletConfigPaths;
    out[key] ??= value;
  }
  return out;
}
