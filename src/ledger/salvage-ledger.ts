// What can be kept of a ledger file that is not valid JSON (a truncated write from an older
// version, a disk error, an editor): every location object that is complete on its own, and of
// the one cut short, the entries that are complete. Pure, never throws, linear in the text:
// one pass that tracks strings and nesting, then JSON.parse of each complete piece.

import { locationOf } from './parse-ledger.js';
import { LEDGER_KIND, type Ledger, type LedgerLocation } from './types.js';

export interface Salvaged {
  ledger: Ledger;
  entries: number;
}

/** `"key":"value"` of the document's head (before its locations), unescaped. */
function headString(head: string, key: string): string | undefined {
  const m = new RegExp(`"${key}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`).exec(head);
  if (!m?.[1]) return undefined;
  try {
    const v: unknown = JSON.parse(m[1]);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function parsePiece(text: string): LedgerLocation | undefined {
  try {
    return locationOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Every location object complete on its own after `"locations"`, then, of the one cut short, its
 * complete entries: one pass tracking strings and nesting.
 */
function completeLocations(text: string, locationsAt: number): LedgerLocation[] {
  const locations: LedgerLocation[] = [];
  // open brackets: their character and where they start
  const stack: { c: string; at: number }[] = [];
  let inString = false;
  let escaped = false;
  let openLocation = -1;
  let lastEntryEnd = -1;
  for (let i = locationsAt; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      stack.push({ c, at: i });
      // the locations array is the first bracket after its key: a location is an object in it
      if (c === '{' && stack.length === 2 && stack[0]?.c === '[') {
        openLocation = i;
        lastEntryEnd = -1;
      }
    } else if (c === '}' || c === ']') {
      const open = stack.pop();
      if (!open) break;
      if (c === '}' && stack.length === 1) {
        const l = parsePiece(text.slice(open.at, i + 1));
        if (l) locations.push(l);
        openLocation = -1;
      } else if (c === '}' && stack.length === 3 && stack[2]?.c === '[') {
        lastEntryEnd = i; // an entry of the open location's entries array
      }
      if (stack.length === 0) break;
    }
  }
  if (openLocation >= 0 && lastEntryEnd > openLocation) {
    const l = parsePiece(`${text.slice(openLocation, lastEntryEnd + 1)}]}`);
    if (l) locations.push(l);
  }
  return locations;
}

export function salvageLedger(text: string): Salvaged | undefined {
  const locationsAt = text.indexOf('"locations"');
  const head = locationsAt < 0 ? text.slice(0, 4096) : text.slice(0, locationsAt);
  if (headString(head, 'kind') !== LEDGER_KIND || locationsAt < 0) return undefined;
  const kept = completeLocations(text, locationsAt).filter((l) => l.entries.length > 0);
  if (kept.length === 0) return undefined;
  const lastSeen = kept
    .flatMap((l) => l.entries.map((e) => e.lastSeen))
    .reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
  const updatedAt = headString(head, 'updatedAt');
  return {
    ledger: {
      apiVersion: 'certdrift.io/v1alpha1',
      kind: LEDGER_KIND,
      node: headString(head, 'node') ?? '',
      updatedAt:
        updatedAt !== undefined && !Number.isNaN(Date.parse(updatedAt)) ? updatedAt : lastSeen,
      locations: kept,
    },
    entries: kept.reduce((n, l) => n + l.entries.length, 0),
  };
}
