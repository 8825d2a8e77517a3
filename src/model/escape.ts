// Text that reaches a terminal never carries control characters from the data it shows. A file
// name, certificate subject, SAN, kubeconfig entry, manifest name, node name or label value is
// attacker-chosen (anyone who can create a DaemonSet or label a Node can name things): an ESC
// starts a terminal command (title change, screen clear, hyperlink spoofing), a CR or LF splits a
// table row, a bidi override reorders what is read. Every value printed as text passes through
// here, on a terminal or not (a log file or `less -R` replays it later). JSON and YAML output are
// unchanged: their encoders escape what they must and consumers need the exact value. HTML output
// escapes the five markup characters instead (escapeHtml).

/**
 * C0 (incl. TAB, LF, CR), DEL, C1, the Unicode line separators and the bidirectional controls
 * (Arabic letter mark, LRM/RLM, embeddings and overrides, isolates), and the backslash itself, so
 * an escape shown is always one certdrift wrote and never text that only looks like one.
 */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** The value with every unsafe character shown as an escape (`\x1b`, `\x0a`, `\u{202e}`, `\\`). */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * For multi-line text certdrift itself lays out (a diff, a message over several lines): each
 * line is escaped, the line breaks between them are kept.
 */
export function escapeTerminalLines(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeTerminal(line))
    .join('\n');
}

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}
