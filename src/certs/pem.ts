// PEM text → blocks. Finds every `-----BEGIN X-----` … `-----END X-----` block in any text
// (bundles, files with comments or headers between blocks), decodes base64 strictly, and reports
// broken blocks without losing the good ones. Never throws.

import type { Reason } from '../reasons.js';

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
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

function lineAt(text: string, offset: number, cache: { pos: number; line: number }): number {
  let { pos, line } = cache;
  for (; pos < offset; pos++) if (text.charCodeAt(pos) === 10) line++;
  cache.pos = pos;
  cache.line = line;
  return line;
}

/** Strips RFC 1421 headers (Proc-Type:, DEK-Info:) and white space from a block body. */
function cleanBody(body: string): string {
  let s = body;
  if (s.includes(':')) {
    const lines = s.split(/\r?\n/);
    const headerEnd = lines.findIndex((l) => l.trim() === '');
    if (lines.some((l) => /^[A-Za-z-]+:/.test(l)) && headerEnd >= 0) s = lines.slice(headerEnd + 1).join('\n');
  }
  return s.replace(/\s+/g, '');
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
    const body = cleanBody(text.slice(bodyStart, endAt));
    BEGIN.lastIndex = endAt + endMarker.length;
    if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
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
