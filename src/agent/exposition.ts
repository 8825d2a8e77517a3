// Prometheus text exposition for the per-certificate families, written directly: with 10,000
// certificates these are ~30,000 series, and building them as registry objects only to print them
// once per scan costs tens of MB of transient memory. Same format as prom-client's output (and
// text-registry.ts).

import type { Certificate } from '../model/index.js';

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(',');
}

interface Family {
  name: string;
  help: string;
  value: (c: Certificate) => number;
}

function family(f: Family, rows: { key: string; cert: Certificate }[]): string {
  const out = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`];
  for (const r of rows) out.push(`${f.name}{${r.key}} ${f.value(r.cert)}`);
  return out.join('\n') + '\n';
}

/** Rows with distinct label sets (the first certificate wins): no duplicate series. */
function unique(
  certs: readonly Certificate[],
  key: (c: Certificate) => string,
): { key: string; cert: Certificate }[] {
  const seen = new Set<string>();
  const rows: { key: string; cert: Certificate }[] = [];
  for (const cert of certs) {
    const k = key(cert);
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push({ key: k, cert });
  }
  return rows;
}

/** certdrift's own families: one series per certificate location. */
function certdriftFamilies(
  certs: readonly Certificate[],
  node: string,
  expired: (c: Certificate) => number,
): string[] {
  const rows = unique(certs, (c) =>
    labels([
      ['node', node],
      ['component', c.component],
      ['path', c.location.path],
      ['index', String(c.location.index)],
      ['kubeconfig_entry', c.location.kubeconfig?.entry ?? ''],
      ['kubeconfig_name', c.location.kubeconfig?.name ?? ''],
      ['common_name', c.commonName],
    ]),
  );
  return [
    family(
      {
        name: 'certdrift_certificate_not_after_seconds',
        help: 'Certificate expiry as a Unix timestamp.',
        value: (c) => c.notAfter.getTime() / 1000,
      },
      rows,
    ),
    family(
      {
        name: 'certdrift_certificate_not_before_seconds',
        help: 'Certificate start of validity as a Unix timestamp.',
        value: (c) => c.notBefore.getTime() / 1000,
      },
      rows,
    ),
    family(
      {
        name: 'certdrift_certificate_expired',
        help: '1 when the certificate had expired at the last scan.',
        value: expired,
      },
      rows,
    ),
  ];
}

/** The same under x509-certificate-exporter's names and labels (--x509-compat). */
function x509CompatFamilies(
  certs: readonly Certificate[],
  node: string,
  expired: (c: Certificate) => number,
): string[] {
  const compat = unique(certs, (c) =>
    labels([
      ['filepath', c.location.path],
      ['subject_CN', c.commonName],
      ['issuer_CN', /CN=([^,]*)/.exec(c.issuer)?.[1] ?? ''],
      ['serial_number', c.serial],
      ['node', node],
    ]),
  );
  return [
    family(
      {
        name: 'x509_cert_not_after',
        help: 'x509-certificate-exporter compatible: expiry (Unix timestamp).',
        value: (c) => c.notAfter.getTime() / 1000,
      },
      compat,
    ),
    family(
      {
        name: 'x509_cert_not_before',
        help: 'x509-certificate-exporter compatible: start of validity (Unix timestamp).',
        value: (c) => c.notBefore.getTime() / 1000,
      },
      compat,
    ),
    family(
      {
        name: 'x509_cert_expired',
        help: 'x509-certificate-exporter compatible: 1 when expired.',
        value: expired,
      },
      compat,
    ),
  ];
}

export function certificateFamilies(
  certs: readonly Certificate[],
  node: string,
  nowMs: number,
  x509Compat: boolean,
): string {
  const expired = (c: Certificate): number => (c.notAfter.getTime() <= nowMs ? 1 : 0);
  const blocks = certdriftFamilies(certs, node, expired);
  if (x509Compat) blocks.push(...x509CompatFamilies(certs, node, expired));
  return blocks.join('\n');
}
