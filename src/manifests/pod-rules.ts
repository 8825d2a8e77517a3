// The rules kubelet (through the API validation it shares with the API server) applies to a pod's
// volumes, checked on a patched manifest before it is written: a static pod that breaks them is
// rejected by kubelet and the component it runs is gone. Source: kubernetes
// pkg/apis/core/validation/validation.go — validateVolumes (volume names unique: "Duplicate
// value"), validateContainers (container names unique), validateVolumeMounts (each mount names
// an existing volume: "Not found"; mountPath unique within a container: "must be unique").
// Pure; never throws.

import type { Document } from 'yaml';
import { POD_SPEC } from './read-manifests.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

function specsOf(o: unknown, depth = 0): { where: string; spec: Obj }[] {
  if (!isObj(o) || depth > 8) return [];
  const kind = typeof o.kind === 'string' ? o.kind : '';
  if (kind.endsWith('List')) return list(o.items).flatMap((x) => specsOf(x, depth + 1));
  const path = POD_SPEC[kind];
  if (!path) return [];
  let cur: unknown = o;
  for (const k of path) cur = isObj(cur) ? cur[k] : undefined;
  const name = isObj(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '';
  return isObj(cur) ? [{ where: `${kind} ${name}`, spec: cur }] : [];
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/** Violations of kubelet's pod rules, as sentences; empty when the document is acceptable. */
export function checkPodRules(doc: Document): string[] {
  const out: string[] = [];
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: -1 });
  } catch {
    return ['the document cannot be read'];
  }
  for (const { where, spec } of specsOf(js)) {
    const volumes = list(spec.volumes).map((v) => (isObj(v) ? text(v.name) : ''));
    for (const d of duplicates(volumes)) out.push(`${where}: volume name ${d} is used twice`);
    const containers = [...list(spec.initContainers), ...list(spec.containers)].filter(isObj);
    const names = containers.map((c) => text(c.name));
    for (const d of duplicates(names)) out.push(`${where}: container name ${d} is used twice`);
    for (const c of containers) {
      const mounts = list(c.volumeMounts).filter(isObj);
      for (const d of duplicates(mounts.map((m) => text(m.mountPath))))
        out.push(`${where}: container ${text(c.name)} mounts two volumes at ${d}`);
      for (const m of mounts)
        if (!volumes.includes(text(m.name)))
          out.push(
            `${where}: container ${text(c.name)} mounts volume ${text(m.name)}, which does not exist`,
          );
    }
  }
  return out;
}
