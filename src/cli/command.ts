// One definition per command drives both argument parsing (node:util parseArgs) and --help.

import { parseArgs } from 'node:util';

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** placeholder shown in help, e.g. GLOB */
  value?: string;
  description: string;
  /** default shown in help (the real defaults live in config/) */
  shownDefault?: string;
  /** environment variable that sets it too */
  env?: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

export interface CommandDef {
  name: string;
  summary: string;
  usage: string;
  description: string;
  options: Record<string, OptionDef>;
  examples: string[];
  /** returns the exit code */
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

export class UsageError extends Error {}

export function parseCommandArgs(
  def: CommandDef,
  argv: string[],
): { values: Values; positionals: string[]; help: boolean } {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(def.options)) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals, help: values.help === true };
  } catch (err) {
    throw new UsageError(argumentProblem(argv, options, def) ?? String(err));
  }
}

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * What is wrong with the arguments, in certdrift's words. Node's parser messages quote oddly and
 * suggest `--` positionals; the arguments are read again without strictness, as tokens, to name
 * the first unknown option (with the nearest known one) or the option missing its value.
 */
function argumentProblem(
  argv: string[],
  options: ParseOptions,
  def: CommandDef,
): string | undefined {
  const { tokens } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const known = options[t.name];
    if (!known) {
      const near = nearestOption(t.name, options);
      return `unknown option ${t.rawName}${near ? ` (did you mean ${near}?)` : ''}`;
    }
    if (known.type === 'string' && t.value === undefined)
      return `${t.rawName} needs a value (${t.rawName} ${def.options[t.name]?.value ?? 'VALUE'})`;
    if (known.type === 'boolean' && t.inlineValue === true)
      return `${t.rawName} is a switch and takes no value`;
  }
  return undefined;
}

/** The known option closest to `name` by edit distance, when close enough to be a typo. */
function nearestOption(name: string, options: ParseOptions): string | undefined {
  // a one-letter option is a short one: only a different case of a known one is a likely typo
  if (name.length === 1) {
    const short = Object.values(options).find((o) => o.short?.toLowerCase() === name.toLowerCase());
    return short?.short !== undefined ? `-${short.short}` : undefined;
  }
  let best: { flag: string; d: number } | undefined;
  for (const long of Object.keys(options)) {
    const d = editDistance(name, long);
    if (!best || d < best.d) best = { flag: `--${long}`, d };
  }
  // a third of the name's letters may be wrong, at least one
  return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? best.flag : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export function renderHelp(def: CommandDef): string {
  const rows = Object.entries(def.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const extras = [
      o.multiple ? 'repeatable' : '',
      o.shownDefault !== undefined ? `default ${o.shownDefault}` : '',
      o.env ? `env ${o.env}` : '',
    ].filter((s) => s !== '');
    return [flag, o.description + (extras.length > 0 ? ` (${extras.join('; ')})` : '')];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
  return [
    `certdrift ${def.name} — ${def.summary}`,
    '',
    `Usage: ${def.usage}`,
    '',
    def.description,
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${(f ?? '').padEnd(width)}  ${d ?? ''}`),
    '',
    'Examples:',
    ...def.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** `--color WHEN` for the commands that print tables; useColor() reads it. */
/** `-o table|json`, the output switch of the commands that print a table or a JSON document. */
export const TABLE_OR_JSON_OPTION: OptionDef = {
  type: 'string',
  short: 'o',
  value: 'FORMAT',
  description: 'table or json',
  shownDefault: 'table',
};

export const COLOR_OPTION: OptionDef = {
  type: 'string',
  value: 'WHEN',
  description: 'auto, always or never',
  shownDefault: 'auto',
};

/**
 * Whether a table is painted: `--color always|never`, or on `auto` (or unset) only when stdout is
 * a terminal that is not `TERM=dumb` and NO_COLOR is not set (https://no-color.org).
 */
export function useColor(setting: unknown, io: Io): boolean {
  if (setting === 'always' || setting === 'never') return setting === 'always';
  return io.stdout.isTTY === true && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

/** `--at TIME` (plan, rotate): the moment to evaluate as of, else `now`. */
export function atFlag(v: unknown, now: Date): Date {
  if (v === undefined) return now;
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(t))
    throw new UsageError(
      `--at: expected an RFC 3339 time like 2026-12-01T09:00:00Z, got ${JSON.stringify(v)}`,
    );
  return new Date(t);
}
