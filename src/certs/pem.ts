// PEM text → blocks. Finds every `-----BEGIN X-----` … `-----END X-----` block in any text
// (bundles, files with comments or headers between blocks), decodes base64 strictly, and reports
// broken blocks without losing the good ones. Never throws.

import type { Reason } from '../model/reasons.js';

export interface PemBlock {
  label: string;
  /** 0-based index of this block among all blocks of the text */
  index: number;
  /** 1-based line of the BEGIN marker */
  line: number;
  der: Uint8Array;
}

export interface PemProblem {
  reason: Reason;
  index: number;
  line: number;
  message: string;
}

export interface PemResult {
  blocks: PemBlock[];
  problems: PemProblem[];
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/g;

function lineAt(text: string, offset: number, cache: { pos: number; line: number }): number {
  let { pos, line } = cache;
  for (; pos < offset; pos++) if (text.charCodeAt(pos) === 10) line++;
  cache.pos = pos;
  cache.line = line;
  return line;
}

/** Drops RFC 1421 headers (Proc-Type:, DEK-Info:) that precede an encrypted key's body. */
function withoutHeaders(body: string): string {
  if (!body.includes(':')) return body;
  const lines = body.split(/\r?\n/).filter((l, i) => i > 0 || l.trim() !== '');
  if (!/^[A-Za-z-]+:/.test(lines[0] ?? '')) return body;
  const blank = lines.findIndex((l) => l.trim() === '');
  return blank >= 0 ? lines.slice(blank + 1).join('\n') : '';
}

/**
 * Length of a base64 body without its white space, or -1 when it is not strict base64
 * (foreign characters, padding in the middle). Buffer.from(…, 'base64') then skips
 * the white space by itself.
 */
function base64Length(body: string): number {
  // The common case first, on V8's compiled regular expressions: only base64 characters, at most
  // two `=` at the end, and `\n` as the only white space (6× faster than the loop below, which
  // stays for other white space: BENCHMARKS.md issue #25).
  if (!STRICT_BASE64.test(body)) return -1;
  if (OTHER_SPACE.test(body)) return base64LengthByChar(body);
  let lines = 0;
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) lines++;
  return body.length - lines;
}

const STRICT_BASE64 = /^[A-Za-z0-9+/\t\n\r ]*(?:=[\t\n\r ]*){0,2}$/;
const OTHER_SPACE = /[\t\r ]/;

function base64LengthByChar(body: string): number {
  let n = 0;
  let pad = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 10 || c === 13 || c === 32 || c === 9) continue;
    if (c === 61) {
      pad++;
      n++;
      continue;
    }
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok || pad > 0) return -1;
    n++;
  }
  return pad > 2 ? -1 : n;
}

export function parsePem(text: string): PemResult {
  const blocks: PemBlock[] = [];
  const problems: PemProblem[] = [];
  const cache = { pos: 0, line: 1 };
  BEGIN.lastIndex = 0;
  let index = 0;
  let m: RegExpExecArray | null;
  while ((m = BEGIN.exec(text)) !== null) {
    const label = m[1] ?? '';
    const line = lineAt(text, m.index, cache);
    const bodyStart = m.index + m[0].length;
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (endAt < 0 || (nextBegin >= 0 && nextBegin < endAt)) {
      problems.push({
        reason: 'pem_truncated',
        index,
        line,
        message: `block ${index} (${label}) at line ${line} has no END line`,
      });
      index++;
      if (nextBegin >= 0) BEGIN.lastIndex = nextBegin;
      continue;
    }
    const body = withoutHeaders(text.slice(bodyStart, endAt));
    BEGIN.lastIndex = endAt + endMarker.length;
    const chars = base64Length(body);
    if (chars <= 0 || chars % 4 !== 0) {
      problems.push({
        reason: 'pem_bad_base64',
        index,
        line,
        message: `block ${index} (${label}) at line ${line} is not valid base64`,
      });
    } else {
      blocks.push({ label, index, line, der: Buffer.from(body, 'base64') });
    }
    index++;
  }
  return { blocks, problems };
}

export function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

export function isCertificateLabel(label: string): boolean {
  return label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE' || label === 'X509 CERTIFICATE';
}
