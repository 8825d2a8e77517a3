// PKCS#7 / CMS SignedData (`.p7b`, `.p7c`, `-----BEGIN PKCS7-----`) → the certificates it
// carries, as the bytes of each (BER allowed: x509.ts lets OpenSSL read what is not DER).
// What `openssl pkcs7 -print_certs` lists. Never throws: a broken container is a message.

import { DerError } from './der.js';
import { berChildren, isOid, pkcsOid, readBer } from './ber.js';

export const OID_SIGNED_DATA = pkcsOid(7, 2);

export type Pkcs7Result = { ok: true; certs: Uint8Array[] } | { ok: false; message: string };

/** A ContentInfo whose content type is signedData (cheap: two headers and an OID). */
export function looksLikePkcs7(bytes: Uint8Array): boolean {
  try {
    const outer = readBer(bytes, 0);
    return (
      outer.tag === 0x30 &&
      isOid(bytes, readBer(bytes, outer.valueStart, outer.valueEnd), OID_SIGNED_DATA)
    );
  } catch {
    return false;
  }
}

export function readPkcs7(bytes: Uint8Array): Pkcs7Result {
  try {
    const info = readBer(bytes, 0);
    const [type, explicit] = berChildren(bytes, info);
    if (info.tag !== 0x30 || !isOid(bytes, type, OID_SIGNED_DATA))
      return { ok: false, message: 'not a PKCS#7 SignedData' };
    if (!explicit) return { ok: true, certs: [] }; // a detached, empty SignedData
    if (explicit.tag !== 0xa0) throw new DerError('SignedData content is not [0]');
    const [signedData] = berChildren(bytes, explicit);
    if (signedData?.tag !== 0x30) throw new DerError('SignedData is not a SEQUENCE');
    const certs: Uint8Array[] = [];
    // version, digestAlgorithms, encapContentInfo, then [0] IMPLICIT certificates (optional)
    for (const field of berChildren(bytes, signedData).slice(3)) {
      if (field.tag !== 0xa0) continue; // crls [1], signerInfos
      for (const choice of berChildren(bytes, field)) {
        // CertificateChoices: a Certificate is a SEQUENCE; attribute certificates are tagged
        if (choice.tag === 0x30) certs.push(bytes.subarray(choice.start, choice.end));
      }
    }
    return { ok: true, certs };
  } catch (err) {
    return {
      ok: false,
      message: `broken PKCS#7: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
