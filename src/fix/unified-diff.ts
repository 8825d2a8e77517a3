// A unified diff of two texts (line LCS; manifests are small), with 3 lines of context.

type Tag = ' ' | '-' | '+';
interface Line {
  tag: Tag;
  text: string;
  /** 1-based line numbers in the old and new text after this line */
  ai: number;
  bi: number;
}

function diffLines(x: string[], y: string[]): Line[] {
  const n = x.length;
  const m = y.length;
  // lcs[i][j] = length of the longest common subsequence of x[i..] and y[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const next = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = x[i] === y[j] ? (next[j + 1] ?? 0) + 1 : Math.max(next[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push({ tag: ' ', text: x[i] ?? '', ai: ++i, bi: ++j });
    } else if (i < n && (j >= m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      // removals before insertions, as diff(1) prints them
      out.push({ tag: '-', text: x[i] ?? '', ai: ++i, bi: j });
    } else {
      out.push({ tag: '+', text: y[j] ?? '', ai: i, bi: ++j });
    }
  }
  return out;
}

export function unifiedDiff(a: string, b: string, nameA: string, nameB: string): string {
  if (a === b) return '';
  const lines = diffLines(a.split('\n'), b.split('\n'));
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  const changed = lines.flatMap((l, k) => (l.tag === ' ' ? [] : [k]));
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] ?? 0;
    const start = Math.max(0, first - 3);
    let end = Math.min(lines.length, first + 4);
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - 3 <= end)
      end = Math.min(lines.length, (changed[++k] ?? 0) + 4);
    k++;
    const hunk = lines.slice(start, end);
    const before = lines[start - 1];
    const aStart = (before?.ai ?? 0) + 1;
    const bStart = (before?.bi ?? 0) + 1;
    const aLen = hunk.filter((l) => l.tag !== '+').length;
    const bLen = hunk.filter((l) => l.tag !== '-').length;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const l of hunk) out.push(`${l.tag}${l.text}`);
  }
  return out.join('\n') + '\n';
}
