// A `certdrift scan -o json` document (docs/scan-schema.md) → what it tells about certificates:
// every certificate in the node's files, every running container's differing view of a file
// (with the STALE_VIEW cause and remedy already diagnosed). A process that loaded an older
// certificate (NOT_RELOADED) holds a serial no scan shows: only a ledger names it (from-ledger.ts).

import { arr, date, obj, str, type Json } from './json-shape.js';
import { keyIdsOf, normaliseSerial, type Knowledge, type KnownCertificate } from './knowledge.js';

export interface ScanKnowledge extends Knowledge {
  node: string;
}

export const UNNAMED_NODE = '(unnamed node: scan without --node-name)';

function leafCerts(view: Json | undefined): Json[] {
  return arr(view?.certificates)
    .map(obj)
    .filter((c): c is Json => c !== undefined && c.isCA !== true);
}

function workloadText(w: Json): string {
  const pod = obj(w.pod);
  const ns = str(pod?.namespace);
  const name = str(pod?.name);
  const id = str(w.id) ?? '';
  const short = w.kind === 'container' ? id.slice(0, 13) : id;
  return `${ns && name ? `${ns}/${name} ` : ''}${str(w.kind) ?? 'workload'} ${str(w.name) ?? '?'} (${short})`;
}

function findingFor(findings: readonly Json[], code: string, target: string): Json | undefined {
  return findings.find((f) => f.code === code && f.target === target);
}

export function knowledgeFromScan(doc: unknown, source: string): ScanKnowledge {
  const d = obj(doc);
  if (d?.kind !== 'NodeScan')
    return {
      known: [],
      node: UNNAMED_NODE,
      problems: [`${source}: not a certdrift scan document (kind NodeScan, from scan -o json)`],
    };
  const node = str(d.nodeName) ?? UNNAMED_NODE;
  const seenAt = date(d.generatedAt);
  const findings = arr(d.findings)
    .map(obj)
    .filter((f): f is Json => f !== undefined);
  const base = { node, source, ...(seenAt ? { seenAt } : {}) };
  const known = [...fileKnowledge(d, findings, base), ...containerViewKnowledge(d, findings, base)];
  return { known, node, problems: [] };
}

/** What every known certificate from one scan shares: the node, the document, when it was seen. */
type KnownBase = Pick<KnownCertificate, 'node' | 'source' | 'seenAt'>;

/** The leaf certificates in the node's files; an expired one says so as its cause. */
function fileKnowledge(d: Json, findings: readonly Json[], base: KnownBase): KnownCertificate[] {
  const known: KnownCertificate[] = [];
  for (const c of arr(d.certificates).map(obj)) {
    const serialHex = normaliseSerial(str(c?.serial) ?? '');
    if (!c || serialHex === '' || c.isCA === true) continue;
    const path = str(c.path) ?? '?';
    const kc = obj(c.kubeconfig);
    const location = kc ? `${path} (${str(kc.entry) ?? ''} ${str(kc.name) ?? ''})` : path;
    const notAfter = date(c.notAfter);
    const expired = c.status === 'expired';
    const finding = expired
      ? findings.find((f) => f.code === 'CERT_EXPIRED' && str(f.subject)?.startsWith(path))
      : undefined;
    known.push({
      ...base,
      serialHex,
      fingerprintSha256: str(c.fingerprintSha256) ?? '',
      subject: str(c.subject) ?? '',
      ...(notAfter ? { notAfter } : {}),
      ...keyIdsOf(c),
      component: str(c.component) ?? 'other',
      residence: 'file',
      location,
      ...(expired
        ? {
            cause: {
              code: 'expired-on-disk' as const,
              text: `The certificate in ${location} itself has expired (not after ${notAfter?.toISOString() ?? '?'}): the node was never renewed.`,
              remedy:
                str(finding?.remedy) ??
                'Renew the certificate or replace the node, then restart the components that use it.',
            },
          }
        : {}),
    });
  }
  return known;
}

/** Certificates a running container sees that the node's file no longer holds (stale views). */
function containerViewKnowledge(
  d: Json,
  findings: readonly Json[],
  base: KnownBase,
): KnownCertificate[] {
  const known: KnownCertificate[] = [];
  for (const w of arr(d.workloads).map(obj)) {
    if (!w || w.state !== 'running') continue;
    const id = str(w.id) ?? '';
    const component = str(w.component) ?? str(w.name) ?? 'other';
    const stale = findingFor(findings, 'STALE_VIEW', id);
    for (const m of arr(w.mounts).map(obj)) {
      for (const f of arr(m?.files).map(obj)) {
        const host = obj(f?.host);
        const inside = obj(f?.container);
        if (!f || !inside || str(inside.sha256) === str(host?.sha256)) continue;
        const hostSerials = new Set(
          leafCerts(host).map((c) => normaliseSerial(str(c.serial) ?? '')),
        );
        for (const c of leafCerts(inside)) {
          const serialHex = normaliseSerial(str(c.serial) ?? '');
          if (serialHex === '' || hostSerials.has(serialHex)) continue;
          const notAfter = date(c.notAfter);
          const single = m?.kind === 'file';
          const mountPath = str(m?.hostPath) ?? '?';
          known.push({
            ...base,
            serialHex,
            fingerprintSha256: str(c.fingerprintSha256) ?? '',
            subject: str(c.subject) ?? '',
            ...(notAfter ? { notAfter } : {}),
            ...keyIdsOf(c),
            component,
            residence: 'container-view',
            location: `${workloadText(w)} sees ${str(f.containerPath) ?? '?'} (node file ${str(f.hostPath) ?? '?'})`,
            workload: id,
            cause: {
              code: single ? 'stale-single-file-mount' : 'stale-view',
              text:
                str(stale?.cause) ??
                (single
                  ? `Single-file bind mount of ${mountPath}: the node replaced the file and the container still reads the old inode.`
                  : `The container's view of ${mountPath} differs from the node's file.`),
              remedy:
                str(stale?.remedy) ??
                'Recreate the container so it reads the node’s current file, then mount the directory instead of the file.',
            },
          });
        }
      }
    }
  }
  return known;
}
