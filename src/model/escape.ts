// Text that reaches a terminal never carries control characters from the data it shows. A file
// name, certificate subject, SAN, kubeconfig entry or manifest name is attacker-chosen on a
// shared node (anyone who can create a DaemonSet can name things): an ESC starts a terminal
// command (title change, screen clear, hyperlink spoofing), a CR or LF splits a table row, a
// bidi override reorders what is read. Every value printed as text passes through here, on a
// terminal or not (a log file or `less -R` replays it later). JSON and YAML output are unchanged:
// their encoders escape what they must and consumers need the exact value.

/** C0 (incl. TAB, LF, CR), DEL, C1, and the Unicode line separators and bidi controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The value with every control character shown as an escape (`\x1b`, `\x0a`, `\u202e`). */
export function sanitize(value: string): string {
  return value.replace(UNSAFE, escapeChar);
}

/**
 * For multi-line text certdrift itself lays out (a diff, a message over several lines): each
 * line is sanitized, the line breaks between them are kept.
 */
export function sanitizeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => sanitize(line))
    .join('\n');
}
