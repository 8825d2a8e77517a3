// File bytes → every certificate in it, private keys counted, problems listed. Recognises PEM
// (bundles, mixed key+cert files, PKCS7 blocks), DER (one or several concatenated, BER too),
// PKCS#7 certificate bundles, PKCS#12 stores and kubeconfigs. One bad block never hides the good
// ones. Never throws.

import type { CertFacts, KubeconfigRef, ScannedFile } from '../model/index.js';
import type { Reason } from '../model/reasons.js';
import { readTlv } from './der.js';
import { readBer } from './ber.js';
import { looksLikePkcs7, readPkcs7 } from './pkcs7.js';
import { looksLikePkcs12, readPkcs12 } from './pkcs12.js';
import { looksLikeKubeconfig, parseKubeconfig, type FileRef } from './kubeconfig.js';
import { isCertificateLabel, isPrivateKeyLabel, parsePem } from './pem.js';
import { parseCertificateDer } from './x509.js';

export interface ParsedCert {
  index: number;
  kubeconfig?: KubeconfigRef;
  facts: CertFacts;
}

export interface FileProblem {
  reason: Reason;
  message: string;
  detail?: string;
}

export interface FileParse {
  format: ScannedFile['format'];
  certs: ParsedCert[];
  privateKeys: number;
  problems: FileProblem[];
  /** certificate files a kubeconfig refers to, still to be read by the caller */
  refs: FileRef[];
}

export interface ParseOptions {
  /** true when the file's name says it should hold certificates (e.g. `.crt`, `kubeconfig`) */
  expectCertificates: boolean;
}

const latin1 = new TextDecoder('latin1');

/** The DER of the first TLV only: drops OpenSSL's trailing trust data in TRUSTED CERTIFICATE. */
function firstTlv(der: Uint8Array): Uint8Array {
  try {
    return der.subarray(0, readTlv(der, 0).end);
  } catch {
    return der; // let the certificate parser report it
  }
}

function fromPem(text: string): FileParse {
  const out: FileParse = { format: 'pem', certs: [], privateKeys: 0, problems: [], refs: [] };
  const pem = parsePem(text);
  for (const p of pem.problems)
    out.problems.push({ reason: p.reason, message: p.message, detail: `block ${p.index}` });
  let index = 0;
  for (const block of pem.blocks) {
    const where = `block ${block.index} at line ${block.line}`;
    if (isPrivateKeyLabel(block.label)) {
      out.privateKeys++;
    } else if (isCertificateLabel(block.label)) {
      addCert(out, index++, firstTlv(block.der), where, `block ${block.index}`);
    } else if (isPkcs7Label(block.label)) {
      const p7 = readPkcs7(block.der);
      if (!p7.ok)
        out.problems.push({
          reason: 'cert_parse_error',
          message: `${where}: ${p7.message}`,
          detail: `block ${block.index}`,
        });
      else
        p7.certs.forEach((der, i) => {
          addCert(out, index++, der, `${where} certificate ${i}`, `block ${block.index}`);
        });
    }
  }
  return out;
}

function addCert(
  out: FileParse,
  index: number,
  der: Uint8Array,
  where: string,
  detail?: string,
): void {
  const res = parseCertificateDer(der);
  if (res.ok) out.certs.push({ index, facts: res.facts });
  else
    out.problems.push({
      reason: res.reason,
      message: `${where}: ${res.message}`,
      ...(detail !== undefined ? { detail } : {}),
    });
}

function isPkcs7Label(label: string): boolean {
  return label === 'PKCS7' || label === 'CMS' || label === 'PKCS #7 SIGNED DATA';
}

function fromKubeconfig(text: string): FileParse {
  const kc = parseKubeconfig(text);
  const out: FileParse = {
    format: 'kubeconfig',
    certs: [],
    privateKeys: kc.privateKeys,
    problems: [...kc.problems],
    refs: kc.refs,
  };
  kc.certs.forEach((c, i) => {
    const res = parseCertificateDer(firstTlv(c.der));
    const where = `${c.ref.entry} ${c.ref.name} ${c.ref.field}`;
    if (res.ok) out.certs.push({ index: i, kubeconfig: c.ref, facts: res.facts });
    else
      out.problems.push({
        reason: res.reason,
        message: `${where}: ${res.message}`,
        detail: where,
      });
  });
  return out;
}

/** A DER SEQUENCE whose first element is INTEGER 0 or 1: PKCS#1, PKCS#8 or SEC1 private key. */
function looksLikeDerKey(bytes: Uint8Array): boolean {
  try {
    const outer = readTlv(bytes, 0);
    const first = readTlv(bytes, outer.valueStart, outer.end);
    return (
      outer.tag === 0x30 &&
      first.tag === 0x02 &&
      first.end - first.valueStart === 1 &&
      (bytes[first.valueStart] ?? 9) <= 1
    );
  } catch {
    return false;
  }
}

function fromPkcs12(bytes: Uint8Array): FileParse {
  const p12 = readPkcs12(bytes);
  const out: FileParse = {
    format: 'pkcs12',
    certs: [],
    privateKeys: p12.privateKeys,
    problems: [],
    refs: [],
  };
  p12.certs.forEach((der, i) => {
    addCert(out, i, der, `PKCS#12 certificate ${i}`);
  });
  if (p12.problem) out.problems.push({ reason: 'cert_parse_error', message: p12.problem });
  if (p12.encrypted > 0)
    out.problems.push({
      reason: 'pkcs12_encrypted',
      message: `${p12.encrypted} of the PKCS#12 contents are encrypted with a password; their certificates were not read (openssl pkcs12 -in FILE -nokeys shows them)`,
    });
  return out;
}

function fromDer(bytes: Uint8Array, opts: ParseOptions): FileParse {
  if (looksLikePkcs12(bytes)) return fromPkcs12(bytes);
  if (looksLikePkcs7(bytes)) {
    const out: FileParse = { format: 'pkcs7', certs: [], privateKeys: 0, problems: [], refs: [] };
    const p7 = readPkcs7(bytes);
    if (!p7.ok) out.problems.push({ reason: 'cert_parse_error', message: p7.message });
    else
      p7.certs.forEach((der, i) => {
        addCert(out, i, der, `PKCS#7 certificate ${i}`);
      });
    return out;
  }
  const out: FileParse = { format: 'der', certs: [], privateKeys: 0, problems: [], refs: [] };
  if (looksLikeDerKey(bytes)) {
    out.privateKeys = 1;
    return out;
  }
  // A concatenation of certificates: each one's outer length says where the next begins, so a
  // corrupt certificate is reported and the ones after it are still read.
  let pos = 0;
  let index = 0;
  while (pos < bytes.length) {
    let end: number;
    try {
      end = readBer(bytes, pos).end;
    } catch (err) {
      if (index === 0 && !opts.expectCertificates) return { ...out, format: 'unknown' };
      out.problems.push({
        reason: 'cert_parse_error',
        message: `DER certificate ${index} at byte ${pos}: cannot tell where it ends (${err instanceof Error ? err.message : String(err)}); the rest of the file is unread`,
      });
      break;
    }
    const res = parseCertificateDer(bytes.subarray(pos, end));
    if (res.ok) {
      out.certs.push({ index, facts: res.facts });
    } else if (index === 0 && !opts.expectCertificates && res.reason === 'cert_parse_error') {
      return { ...out, format: 'unknown' };
    } else {
      out.problems.push({
        reason: res.reason,
        message: `DER certificate ${index} at byte ${pos}: ${res.message}`,
      });
    }
    index++;
    pos = end;
  }
  return out;
}

export function parseCertificateFile(bytes: Uint8Array, opts: ParseOptions): FileParse {
  const none: FileParse = { format: 'unknown', certs: [], privateKeys: 0, problems: [], refs: [] };
  if (bytes.length === 0) {
    return opts.expectCertificates
      ? { ...none, problems: [{ reason: 'empty', message: 'the file is empty' }] }
      : none;
  }
  const text = latin1.decode(bytes);
  if (text.includes('-----BEGIN ')) return fromPem(text);
  if (looksLikeKubeconfig(text)) return fromKubeconfig(new TextDecoder('utf-8').decode(bytes));
  if (bytes[0] === 0x30) return fromDer(bytes, opts);
  if (!opts.expectCertificates) return none;
  return {
    ...none,
    problems: [
      {
        reason: 'unrecognized_format',
        message: 'no PEM block, DER certificate or kubeconfig found',
      },
    ],
  };
}
