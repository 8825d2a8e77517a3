// Policy durations: a sequence of whole numbers with units, like `20m`, `14d`, `1h30m`.
// Units: s, m, h, d (24 h of elapsed time, not calendar days), w. Returns null when malformed.

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export function parseDuration(text: string): number | null {
  if (!/^(\d+[smhdw])+$/.test(text)) return null;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** the largest whole unit up to days: 1209600000 → `14d`, 5400000 → `90m` */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms === 0 ? '0s' : `${Math.round(ms / 1000)}s`;
}
