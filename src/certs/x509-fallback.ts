// CertFacts from Node's X509Certificate (OpenSSL itself): the authoritative path for certificates
// the fast DER reader declines (BER, time offsets, unusual name types…), and the reference the
// fast reader is tested against. Node's strings are turned into the fast reader's forms:
// subject lines joined with `, ` (see dn-format.ts), `IP Address:` as `IP:`, Node's quoted
// alternative names unquoted, OpenSSL's time text read without Date.parse (which turns year 1
// into 2001). The fingerprint is OpenSSL's: over its re-encoding of non-DER input, as
// `openssl x509 -fingerprint -sha256` computes it.

import type { X509Certificate } from 'node:crypto';
import type { CertFacts } from '../model/index.js';
import { utcDate } from './der-cursor.js';
import { unescapeValue } from './dn-format.js';
import { EKU_NAMES } from './oids.js';
import { keyIdsOfDer } from './key-ids.js';

/** An OpenSSL time Node printed that is not a real date. */
export class BadTimeError extends Error {}

interface NameParts {
  text: string;
  entries: [string, string][];
}

function readName(multiline: string | undefined): NameParts {
  // Node gives undefined for an empty name (no RDNs).
  const lines = (multiline ?? '').split('\n').filter((l) => l.length > 0);
  const entries: [string, string][] = [];
  for (const line of lines) {
    for (const atv of line.split(' + ')) {
      const eq = atv.indexOf('=');
      entries.push([atv.slice(0, eq), unescapeValue(atv.slice(eq + 1))]);
    }
  }
  return { text: lines.join(', '), entries };
}

/** Node quotes alternative names holding special characters as JSON strings. */
function unquote(v: string): string {
  if (!v.startsWith('"')) return v;
  try {
    const s: unknown = JSON.parse(v);
    return typeof s === 'string' ? s : v;
  } catch {
    return v;
  }
}

function readSans(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const item of text.split(', ')) {
    const colon = item.indexOf(':');
    const type = item.slice(0, colon);
    const value = item.slice(colon + 1);
    if (type === 'DNS' || type === 'email' || type === 'URI') out.push(`${type}:${unquote(value)}`);
    else if (type === 'IP Address') out.push(`IP:${value.toLowerCase()}`);
    // othername, DirName, Registered ID, X400Name, EdiPartyName: not reported (as the fast reader)
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ASN1_TIME_print's `Mon DD HH:MM:SS[.fff] YYYY GMT`. */
export function readOpensslTime(s: string): Date {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d{1,4}) GMT$/.exec(s);
  const month = m ? MONTHS.indexOf(m[1] as string) + 1 : 0;
  const d = m
    ? utcDate(Number(m[7]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))
    : null;
  if (!d) throw new BadTimeError(`bad time ${JSON.stringify(s)}`);
  if (m?.[6]) d.setUTCMilliseconds(Number(m[6].slice(0, 3).padEnd(3, '0')));
  return d;
}

/** OpenSSL's serial text (BN_bn2hex) in i2a_ASN1_INTEGER's form: two digits per octet. */
function formatSerial(s: string): string {
  const neg = s.startsWith('-');
  const hex = (neg ? s.slice(1) : s).toUpperCase();
  return `${neg ? '-' : ''}${hex.length % 2 === 1 ? `0${hex}` : hex}`;
}

export function readFallback(x: X509Certificate): CertFacts {
  const subject = readName(x.subject);
  const issuer = readName(x.issuer);
  const values = (key: string): string[] =>
    subject.entries.filter(([k]) => k === key).map(([, v]) => v);
  return {
    subject: subject.text,
    commonName: values('CN')[0] ?? '',
    organizations: values('O'),
    issuer: issuer.text,
    sans: readSans(x.subjectAltName),
    serial: formatSerial(x.serialNumber),
    fingerprintSha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
    notBefore: readOpensslTime(x.validFrom),
    notAfter: readOpensslTime(x.validTo),
    isCA: x.ca,
    selfSigned: x.subject === x.issuer,
    // @types/node says string[], but Node returns undefined when the extension is absent.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    extKeyUsage: (x.keyUsage ?? []).map((o) => EKU_NAMES[o] ?? o),
    // Node does not expose the key identifiers; read from OpenSSL's DER when it is readable
    ...keyIdsOfDer(x.raw),
  };
}
