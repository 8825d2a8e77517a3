// PKCS#12 (`.p12`, `.pfx`) → the certificates of its certificate bags, private keys counted
// (never decoded), and how many contents are encrypted. Unencrypted bags are read, and so are
// bags encrypted (PBES2) with the empty password; a store with a real password is reported
// (pkcs12_encrypted), not guessed at. Never throws.

import { DerError } from './der.js';
import { berChildren, berOctets, isOid, pkcsOid, readBer, type BerTlv } from './ber.js';
import { decryptWithEmptyPassword } from './pkcs12-pbes2.js';

const OID_DATA = pkcsOid(7, 1);
const OID_ENCRYPTED_DATA = pkcsOid(7, 6);
const OID_ENVELOPED_DATA = pkcsOid(7, 3);
const BAG = (n: number): number[] => pkcsOid(12, 10, 1, n);
const OID_X509_CERT = pkcsOid(9, 22, 1);

export interface Pkcs12Result {
  certs: Uint8Array[];
  privateKeys: number;
  /** ContentInfos encrypted with a password (their certificates cannot be read) */
  encrypted: number;
  problem?: string;
}

/** PFX: SEQUENCE { INTEGER 3, ContentInfo(data | signedData), … }. */
export function looksLikePkcs12(bytes: Uint8Array): boolean {
  try {
    const pfx = readBer(bytes, 0);
    const version = readBer(bytes, pfx.valueStart, pfx.valueEnd);
    if (pfx.tag !== 0x30 || version.tag !== 0x02 || version.valueEnd - version.valueStart !== 1)
      return false;
    if (bytes[version.valueStart] !== 3) return false;
    const auth = readBer(bytes, version.end, pfx.valueEnd);
    return (
      auth.tag === 0x30 && isOid(bytes, readBer(bytes, auth.valueStart, auth.valueEnd), OID_DATA)
    );
  } catch {
    return false;
  }
}

/** The octets inside ContentInfo { data, [0] EXPLICIT OCTET STRING }. */
function dataOf(buf: Uint8Array, info: BerTlv): Uint8Array {
  const [, explicit] = berChildren(buf, info);
  const octets = explicit ? berChildren(buf, explicit)[0] : undefined;
  if (!octets || (octets.tag & 0x1f) !== 0x04)
    throw new DerError('data content is not an OCTET STRING');
  return berOctets(buf, octets);
}

function readBags(buf: Uint8Array, out: Pkcs12Result, depth: number): void {
  if (depth > 4) throw new DerError('safe contents nested too deeply');
  const safeContents = readBer(buf, 0);
  for (const bag of berChildren(buf, safeContents)) {
    const [id, wrapped] = berChildren(buf, bag);
    if (isOid(buf, id, BAG(1)) || isOid(buf, id, BAG(2))) {
      out.privateKeys++; // keyBag, pkcs8ShroudedKeyBag
    } else if (isOid(buf, id, BAG(3)) && wrapped) {
      const certBag = berChildren(buf, wrapped)[0];
      const [certId, value] = certBag ? berChildren(buf, certBag) : [];
      if (!isOid(buf, certId, OID_X509_CERT) || !value) continue; // SDSI certificates
      const octets = berChildren(buf, value)[0];
      if (octets && (octets.tag & 0x1f) === 0x04) out.certs.push(berOctets(buf, octets));
    } else if (isOid(buf, id, BAG(6)) && wrapped) {
      const inner = berChildren(buf, wrapped)[0];
      if (inner) readBags(buf.subarray(inner.start, inner.end), out, depth + 1);
    }
  }
}

export function readPkcs12(bytes: Uint8Array): Pkcs12Result {
  const out: Pkcs12Result = { certs: [], privateKeys: 0, encrypted: 0 };
  try {
    const pfx = readBer(bytes, 0);
    const [, authSafe] = berChildren(bytes, pfx);
    if (!authSafe) throw new DerError('no authSafe');
    const safes = dataOf(bytes, authSafe);
    for (const info of berChildren(safes, readBer(safes, 0))) {
      const type = berChildren(safes, info)[0];
      if (isOid(safes, type, OID_DATA)) readBags(dataOf(safes, info), out, 0);
      else if (isOid(safes, type, OID_ENCRYPTED_DATA)) {
        const explicit = berChildren(safes, info)[1];
        const inner = explicit ? berChildren(safes, explicit)[0] : undefined;
        const plain = inner ? decryptWithEmptyPassword(safes, inner) : null;
        if (plain) readBags(plain, out, 0);
        else out.encrypted++;
      } else if (isOid(safes, type, OID_ENVELOPED_DATA)) out.encrypted++;
    }
  } catch (err) {
    out.problem = `broken PKCS#12: ${err instanceof Error ? err.message : String(err)}`;
  }
  return out;
}
