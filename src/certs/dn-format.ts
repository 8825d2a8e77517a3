// Distinguished names written exactly as OpenSSL writes them with
// `-nameopt esc_2253,esc_ctrl,utf8,sep_comma_plus_space,sname` — the flags Node's
// X509Certificate.subject uses, with `, ` between RDNs instead of a new line. Values are
// escaped (RFC 2253 specials, control characters as \XX), attribute types by OpenSSL's short
// name. What this file cannot write exactly (an attribute type missing from the table, a string
// type OpenSSL prints differently) throws DerError, so the caller lets OpenSSL do it.

import { DerError } from './der.js';

/** OpenSSL short names of the attribute types under 2.5.4 (id-at), by the last arc. */
const ID_AT: Readonly<Record<number, string>> = {
  3: 'CN',
  4: 'SN',
  5: 'serialNumber',
  6: 'C',
  7: 'L',
  8: 'ST',
  9: 'street',
  10: 'O',
  11: 'OU',
  12: 'title',
  13: 'description',
  15: 'businessCategory',
  17: 'postalCode',
  41: 'name',
  42: 'GN',
  43: 'initials',
  44: 'generationQualifier',
  46: 'dnQualifier',
  65: 'pseudonym',
  97: 'organizationIdentifier',
};

const OTHER: readonly [readonly number[], string][] = [
  [[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], 'emailAddress'],
  [[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19], 'DC'],
  [[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01], 'UID'],
];

/** OpenSSL's short name for the attribute type OID whose content octets are buf[s..e). */
export function attributeName(buf: Uint8Array, s: number, e: number): string {
  if (e - s === 3 && buf[s] === 0x55 && buf[s + 1] === 0x04) {
    const name = ID_AT[buf[s + 2] as number];
    if (name) return name;
  }
  outer: for (const [oid, name] of OTHER) {
    if (oid.length !== e - s) continue;
    for (let i = 0; i < oid.length; i++) if (buf[s + i] !== oid[i]) continue outer;
    return name;
  }
  throw new DerError('attribute type without a known short name');
}

// OpenSSL refuses to load a certificate whose UTF8String is not UTF-8 (its name canonicalisation
// converts every value): so must the fast reader, and the fallback then reports the refusal.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The characters of a name value, decoded as OpenSSL's `utf8` option does. */
export function decodeValue(buf: Buffer, tag: number, s: number, e: number): string {
  switch (tag) {
    case 0x0c: // UTF8String
      try {
        return utf8.decode(buf.subarray(s, e));
      } catch {
        throw new DerError('UTF8String that is not UTF-8');
      }
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // T61String
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return buf.toString('latin1', s, e); // one octet per character, like OpenSSL
    case 0x1e: {
      // BMPString: UTF-16BE code units; OpenSSL refuses odd lengths and cannot write surrogates.
      if ((e - s) % 2 !== 0) throw new DerError('odd BMPString');
      let out = '';
      for (let i = s; i < e; i += 2) {
        const cu = ((buf[i] as number) << 8) | (buf[i + 1] as number);
        if (cu >= 0xd800 && cu <= 0xdfff) throw new DerError('surrogate in BMPString');
        out += String.fromCharCode(cu);
      }
      return out;
    }
    case 0x1c: {
      // UniversalString: UTF-32BE.
      if ((e - s) % 4 !== 0) throw new DerError('bad UniversalString length');
      let out = '';
      for (let i = s; i < e; i += 4) {
        const cp = buf.readUInt32BE(i);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          throw new DerError('bad UniversalString character');
        out += String.fromCodePoint(cp);
      }
      return out;
    }
    default:
      throw new DerError(`name value of type 0x${tag.toString(16)}`);
  }
}

const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';']);

/**
 * RFC 2253 escaping as OpenSSL's do_esc_char does it: specials with a backslash, `#` first and
 * space first or last too (a one-character value counts as last only), control characters as
 * `\XX`; everything above 0x7f as is.
 */
const NEEDS_ESCAPE = /[\x00-\x1f\x7f,+"\\<>;]|^[ #]| $/;

export function escapeValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v; // the common case, on the scan's hot path
  let out = '';
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const ch = v[i] as string;
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) {
      out += `\\${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else if (
      SPECIAL.has(ch) ||
      (ch === ' ' && (i === 0 || i === n - 1)) ||
      (ch === '#' && i === 0 && n > 1)
    ) {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Undoes escapeValue: `\XX` (hex) → that octet, `\c` → c. For names read through OpenSSL. */
export function unescapeValue(v: string): string {
  if (!v.includes('\\')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch !== '\\' || i === v.length - 1) {
      out += ch;
      continue;
    }
    const hex = v.slice(i + 1, i + 3);
    if (/^[0-9A-F]{2}$/.test(hex)) {
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else {
      out += v[i + 1] as string;
      i++;
    }
  }
  return out;
}
