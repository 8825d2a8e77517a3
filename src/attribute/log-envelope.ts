// One log line → the `err` of an "Unable to authenticate the request" message and when it was
// logged, whatever wraps it. Forms (kube-apiserver's
// staging/src/k8s.io/apiserver/pkg/endpoints/filters/authentication.go):
//  - klog text, 1.21+: klog.ErrorS(err, "Unable to authenticate the request") →
//      E0712 18:20:27.123456       1 authentication.go:63] "Unable to authenticate the request" err="[x509: …]"
//    (header `Lmmdd hh:mm:ss.uuuuuu threadid file:line]`, no year; err Go-quoted)
//  - klog text, before 1.21: klog.Errorf("Unable to authenticate the request due to an error: %v", err)
//      E0329 22:00:18.000000       1 authentication.go:53] Unable to authenticate the request due to an error: [x509: …]
//  - klog JSON (--logging-format=json, component-base/logs/json; see its klog_test.go):
//      {"ts":1626114027.123,"caller":"filters/authentication.go:63","msg":"Unable to authenticate the request","err":"[x509: …]"}
//    and the old message as "msg":"Unable to authenticate the request due to an error: …\n".
//  Wrappers: kubelet's CRI log files (/var/log/pods/…, `<RFC3339Nano> stderr F <line>`, `P` for a
//  partial line), `kubectl logs --timestamps` (`<RFC3339Nano> <line>`), Docker json-file
//  (`{"log":"…","stream":"stderr","time":"…"}`), and anything before the klog header (journald,
//  syslog). Never throws.

import { readGoQuoted } from './go-quote.js';
import { parseRfc3339 } from './x509-errors.js';

export interface Envelope {
  /** full timestamp from a wrapper or JSON `ts` */
  at?: Date;
  /** month/day/time from a klog text header (no year) */
  klogTime?: { month: number; day: number; h: number; m: number; s: number; us: number };
  /** the text after any wrapper: a klog line, a JSON object, or a bare message */
  text: string;
  /** CRI `P`: this line continues in the next one */
  partial: boolean;
}

const CRI =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (?:stdout|stderr) ([FP])(?: (.*))?$/s;
const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) (.*)$/s;
const KLOG_HEADER = /([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^\s\]]+\] /;
const MESSAGE = 'Unable to authenticate the request';
const OLD_PREFIX = 'Unable to authenticate the request due to an error: ';

/** Peels CRI / kubectl --timestamps wrappers off a line. */
export function unwrapLine(line: string): Envelope {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const cri = CRI.exec(text);
  if (cri) {
    return { at: parseRfc3339(cri[1] ?? ''), text: cri[3] ?? '', partial: cri[2] === 'P' };
  }
  const ts = TIMESTAMPED.exec(text);
  if (ts) return { at: parseRfc3339(ts[1] ?? ''), text: ts[2] ?? '', partial: false };
  return { text, partial: false };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // not JSON: the caller tries the text forms
  }
}

function fromEpoch(ts: unknown): Date | undefined {
  if (typeof ts === 'number' && Number.isFinite(ts)) {
    const d = new Date(ts * 1000);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (typeof ts === 'string') return parseRfc3339(ts);
  return undefined;
}

export interface AuthFailureLine {
  err: string;
  at?: Date;
  klogTime?: Envelope['klogTime'];
}

/** The err of an authentication failure in `text` (already unwrapped), or null. */
export function readAuthFailure(text: string, at?: Date, depth = 0): AuthFailureLine | null {
  if (!text.includes(MESSAGE)) return null;
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && depth < 2) {
    const obj = parseJson(trimmed);
    if (obj) {
      // Docker json-file: the klog line is in "log"
      if (typeof obj.log === 'string') {
        const inner = unwrapLine(obj.log.replace(/\n$/, ''));
        return readAuthFailure(inner.text, inner.at ?? fromEpoch(obj.time) ?? at, depth + 1);
      }
      const msg = typeof obj.msg === 'string' ? obj.msg : '';
      const when = fromEpoch(obj.ts) ?? at;
      if (msg === MESSAGE && typeof obj.err === 'string')
        return { err: obj.err, ...(when ? { at: when } : {}) };
      if (msg.startsWith(OLD_PREFIX))
        return {
          err: msg.slice(OLD_PREFIX.length).replace(/\n$/, ''),
          ...(when ? { at: when } : {}),
        };
      return null;
    }
  }
  const header = KLOG_HEADER.exec(text);
  const rest = header ? text.slice(header.index + header[0].length) : text;
  const klogTime = header
    ? {
        month: Number(header[2]),
        day: Number(header[3]),
        h: Number(header[4]),
        m: Number(header[5]),
        s: Number(header[6]),
        us: Number(header[7]),
      }
    : undefined;
  const base = { ...(at ? { at } : {}), ...(klogTime ? { klogTime } : {}) };
  const oldAt = rest.indexOf(OLD_PREFIX);
  if (oldAt >= 0) return { err: rest.slice(oldAt + OLD_PREFIX.length), ...base };
  const structured = rest.indexOf(`"${MESSAGE}"`);
  if (structured < 0) return null;
  const errAt = rest.indexOf(' err="', structured);
  if (errAt < 0) return null;
  const q = readGoQuoted(rest, errAt + 5);
  return q ? { err: q.value, ...base } : null;
}
