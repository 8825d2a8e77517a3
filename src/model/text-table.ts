// Left-aligned text columns, widths measured without ANSI colour codes.

export type Paint = (text: string) => string;

export interface Style {
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
}

const wrap =
  (open: number, close: number): Paint =>
  (t) =>
    `\x1b[${open}m${t}\x1b[${close}m`;

export const COLOR: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
};
const id: Paint = (t) => t;
export const PLAIN: Style = { bold: id, dim: id, red: id, yellow: id, green: id };

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => s.replace(ANSI, '').length;

/**
 * Shortens a plain (uncoloured) cell to `max` characters, keeping its start and end — paths and
 * subjects differ at both ends — with `…` between. Full values are in `-o json`.
 */
export function clip(text: string, max: number): string {
  const chars = Array.from(text); // code points: never cut a surrogate pair in half
  if (chars.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.6);
  const tail = max - 1 - head;
  return chars.slice(0, head).join('') + '…' + (tail > 0 ? chars.slice(-tail).join('') : '');
}

export function renderColumns(headers: string[], rows: string[][], style: Style): string {
  // A loop, not Math.max(...spread): a spread of 100,000 rows overflows the call stack.
  const widths = headers.map((h) => h.length);
  for (const r of rows)
    for (let i = 0; i < widths.length; i++)
      widths[i] = Math.max(widths[i] ?? 0, visible(r[i] ?? ''));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('   ')
      .trimEnd();
  return [style.bold(line(headers)), ...rows.map(line)].join('\n') + '\n';
}
