// Names come from the cluster (node names, label values) and may hold anything. Terminal output
// shows control characters (C0, DEL, C1), bidirectional overrides and line separators as visible
// escapes, so a crafted name cannot move the cursor, recolour or reorder the screen; HTML output
// escapes the five markup characters.

const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;

export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
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
