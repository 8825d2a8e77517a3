// The `err` of kube-apiserver's "Unable to authenticate the request" → one entry per client
// certificate that failed verification. Formats, from kubernetes/kubernetes:
//  - staging/src/k8s.io/apiserver/pkg/authentication/request/x509/x509.go: AuthenticateRequest
//    wraps the verify error as `verifying certificate %s failed: %w` with certificateIdentifier():
//    `SN=%d, SKID=%s, AKID=%s` — the serial in DECIMAL, the key ids as upper-case hex pairs
//    joined by `:` (columnSeparatedHex), empty when the certificate has none. Since 1.19.
//  - the union authenticator returns utilerrors.NewAggregate: one error is printed bare, several
//    as `[e1, e2]` (deduplicated). The requestheader (front-proxy) verifier reports the same
//    certificate without the identifier, so `[x509: …, verifying certificate SN=… failed: x509: …]`
//    is ONE failing certificate; bearer-token errors can share the brackets.
//  - Go crypto/x509 verify.go: CertificateInvalidError{Expired} prints
//    `x509: certificate has expired or is not yet valid: current time %s is after %s` (NotAfter)
//    or `… is before %s` (NotBefore), times in RFC 3339 (the server's zone);
//    UnknownAuthorityError prints `x509: certificate signed by unknown authority` with an
//    optional `(possibly because of … while trying to verify candidate authority certificate …)`.

import type { FailureKind } from './types.js';

export interface ParsedX509Failure {
  serialDecimal?: string;
  serialHex?: string;
  skid: string;
  akid: string;
  kind: FailureKind;
  serverTime?: Date;
  certNotAfter?: Date;
  certNotBefore?: Date;
  message: string;
}

/**
 * Bounds on what one failure keeps (a failure is held for the whole run): serials past 400 digits
 * (RFC 5280 allows 20 octets, 49 digits) are not serials; key ids past 64 bytes (SHA-512 is 64)
 * are cut; the message is cut at 1,024 characters. A hostile line cannot make one failure large.
 */
const MAX_SERIAL_DIGITS = 400;
const MAX_KEY_ID_CHARS = 64 * 3 - 1;
const MAX_MESSAGE_CHARS = 1024;

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const IDENTIFIED =
  /^verifying certificate SN=(\d*), SKID=((?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)?), AKID=((?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)?) failed: ([\s\S]*)$/;
/** a new aggregated error starts after `, ` with `x509: `, `verifying certificate`, or `word: ` */
const BOUNDARY = /, (?=x509: |verifying certificate SN=|invalid bearer token|[A-Za-z][\w./-]*: )/;
const AFTER = /current time (\S+) is after (\S+?)(?=[,\]\s]|$)/;
const BEFORE = /current time (\S+) is before (\S+?)(?=[,\]\s]|$)/;
/** RFC 3339 as Go's time.RFC3339 prints it (optional fraction for other formatters) */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

export function parseRfc3339(s: string): Date | undefined {
  if (!RFC3339.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Decimal serial (any size) → upper-case hex without leading zeros, as certdrift prints serials. */
export function decimalToHex(dec: string): string | undefined {
  if (dec.length > MAX_SERIAL_DIGITS || !/^\d+$/.test(dec)) return undefined;
  return BigInt(dec).toString(16).toUpperCase();
}

function classify(text: string): Omit<ParsedX509Failure, 'skid' | 'akid' | 'message'> {
  const after = AFTER.exec(text);
  if (after) {
    return {
      kind: 'expired',
      serverTime: parseRfc3339(after[1] ?? ''),
      certNotAfter: parseRfc3339(after[2] ?? ''),
    };
  }
  const before = BEFORE.exec(text);
  if (before) {
    return {
      kind: 'not-yet-valid',
      serverTime: parseRfc3339(before[1] ?? ''),
      certNotBefore: parseRfc3339(before[2] ?? ''),
    };
  }
  if (text.includes('certificate signed by unknown authority'))
    return { kind: 'unknown-authority' };
  return { kind: 'other' };
}

function dropUndefined(f: ParsedX509Failure): ParsedX509Failure {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v;
  return out as unknown as ParsedX509Failure;
}

/** Splits an aggregate (`[a, b]` or a bare error) into its errors. */
export function splitAggregate(err: string): string[] {
  let body = err.trim();
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
  return body
    .split(BOUNDARY)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The failing client certificates an `err` names. Parts with an identifier are one certificate
 * each; unidentified x509 parts are the same certificate seen by the front-proxy verifier and
 * are dropped when an identified part exists — otherwise (API servers before 1.19) they become
 * one failure without a serial. Non-x509 errors (bearer tokens, OIDC) are not certificate failures.
 */
export function parseX509Errors(err: string): ParsedX509Failure[] {
  const parts = splitAggregate(err);
  const identified: ParsedX509Failure[] = [];
  let anonymous: ParsedX509Failure | undefined;
  for (const part of parts) {
    const m = IDENTIFIED.exec(part);
    if (m) {
      const logged = m[1] ?? '';
      const dec = logged.length > MAX_SERIAL_DIGITS ? '' : logged;
      const message = m[4] ?? '';
      identified.push(
        dropUndefined({
          serialDecimal: dec === '' ? undefined : dec,
          serialHex: dec === '' ? undefined : decimalToHex(dec),
          skid: (m[2] ?? '').slice(0, MAX_KEY_ID_CHARS).toUpperCase(),
          akid: (m[3] ?? '').slice(0, MAX_KEY_ID_CHARS).toUpperCase(),
          ...classify(message),
          message: cut(message, MAX_MESSAGE_CHARS),
        }),
      );
    } else if (part.startsWith('x509: ') && !anonymous) {
      anonymous = dropUndefined({
        skid: '',
        akid: '',
        ...classify(part),
        message: cut(part, MAX_MESSAGE_CHARS),
      });
    }
  }
  if (identified.length > 0) return identified;
  return anonymous ? [anonymous] : [];
}
