// Decrypts a PKCS#12 EncryptedData protected by PBES2 (PBKDF2 + AES-CBC, what OpenSSL 3 writes
// by default) with the empty password: `openssl pkcs12 -export -passout pass:` stores are
// "without a password" to their owners, yet encrypted. Any other password or scheme → null (the
// caller reports pkcs12_encrypted). Never throws.

import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { berChildren, berOctets, isOid, pkcsOid, readBer, type BerTlv } from './ber.js';

const OID_PBES2 = pkcsOid(5, 13);
const OID_PBKDF2 = pkcsOid(5, 12);
const PRF: readonly [number[], string][] = [
  [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07], 'sha1'],
  [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09], 'sha256'],
  [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a], 'sha384'],
  [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b], 'sha512'],
];
// 2.16.840.1.101.3.4.1.{2,22,42}: aes-{128,192,256}-cbc
const AES = (n: number): number[] => [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, n];
const CIPHERS: readonly [number[], string, number][] = [
  [AES(2), 'aes-128-cbc', 16],
  [AES(22), 'aes-192-cbc', 24],
  [AES(42), 'aes-256-cbc', 32],
];
/** A hostile iteration count must not stall the scan (OpenSSL writes 2,048). */
const MAX_ITERATIONS = 200_000;

const intOf = (buf: Uint8Array, t: BerTlv | undefined): number => {
  if (!t || t.tag !== 0x02 || t.valueEnd - t.valueStart > 4) return -1;
  let v = 0;
  for (let i = t.valueStart; i < t.valueEnd; i++) v = v * 256 + (buf[i] as number);
  return v;
};

/** The plaintext of an EncryptedData (the TLV inside ContentInfo's [0]), or null. */
export function decryptWithEmptyPassword(
  buf: Uint8Array,
  encryptedData: BerTlv,
): Uint8Array | null {
  try {
    const [, eci] = berChildren(buf, encryptedData);
    const [, alg, content] = eci ? berChildren(buf, eci) : [];
    const [algId, params] = alg ? berChildren(buf, alg) : [];
    if (!content || (content.tag & 0x1f) !== 0 || !isOid(buf, algId, OID_PBES2) || !params)
      return null;
    const [kdf, scheme] = berChildren(buf, params);
    const [kdfId, kdfParams] = kdf ? berChildren(buf, kdf) : [];
    if (!isOid(buf, kdfId, OID_PBKDF2) || !kdfParams || !scheme) return null;
    const [salt, iter, ...rest] = berChildren(buf, kdfParams);
    const prfAlg = rest.find((t) => t.tag === 0x30);
    const prfId = prfAlg ? berChildren(buf, prfAlg)[0] : undefined;
    const hash = prfAlg ? PRF.find(([oid]) => isOid(buf, prfId, oid))?.[1] : 'sha1';
    const [cipherId, iv] = berChildren(buf, scheme);
    const cipher = CIPHERS.find(([oid]) => isOid(buf, cipherId, oid));
    const iterations = intOf(buf, iter);
    if (!hash || !cipher || !salt || !iv || iterations < 1 || iterations > MAX_ITERATIONS)
      return null;
    const key = pbkdf2Sync('', berOctets(buf, salt), iterations, cipher[2], hash);
    const d = createDecipheriv(cipher[1], key, berOctets(buf, iv));
    const plain = Buffer.concat([d.update(berOctets(buf, { ...content, tag: 0x04 })), d.final()]);
    readBer(plain, 0); // a wrong password decrypts to noise, rarely with valid padding
    return plain;
  } catch {
    return null;
  }
}
