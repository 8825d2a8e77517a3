// The agent's node-level gauges and counters, rendered as Prometheus text (format 0.0.4). The
// subset of prom-client the agent used — set, inc, reset, read back, render — with prom-client's
// exact output (order of families and series, label escaping, value formatting; the golden
// /metrics file proves it), without its ~50 modules: loading prom-client cost the agent ~19 MB of
// RSS on Node 24 for a few dozen series (BENCHMARKS.md, issue #25). Label values come from the
// node (paths, pod names): escaped, never interpreted.

export type Labels = Partial<Record<string, string | number>>;

export interface Sample {
  labels: Labels;
  value: number;
}

interface FamilyConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
}

const escapeText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (v: string | number | undefined): string =>
  typeof v === 'string' ? escapeText(v).replace(/"/g, '\\"') : String(v);

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return String(v);
}

abstract class Family {
  abstract readonly type: 'gauge' | 'counter';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly string[];
  /** series by label set, in the order first set (a reset empties it) */
  protected series = new Map<string, Sample>();

  constructor(config: FamilyConfig, registry: TextRegistry) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    registry.register(this);
  }

  protected key(labels: Labels): string {
    for (const k of Object.keys(labels))
      if (!this.labelNames.includes(k))
        throw new Error(`${this.name}: label ${JSON.stringify(k)} is not one of its labels`);
    let key = '';
    for (const k of this.labelNames) if (labels[k] !== undefined) key += `${k}:${labels[k]},`;
    return key;
  }

  /** The series as set, in order (the values a failed scan restores: metrics.ts). */
  get(): { values: Sample[] } {
    return { values: [...this.series.values()] };
  }

  reset(): void {
    this.series = new Map();
  }

  render(): string {
    const lines = [
      `# HELP ${this.name} ${escapeText(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    for (const { labels, value } of this.series.values()) {
      const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(
        `${this.name}${parts.length > 0 ? `{${parts.join(',')}}` : ''} ${formatValue(value)}`,
      );
    }
    return lines.join('\n');
  }
}

export class Gauge extends Family {
  readonly type = 'gauge';

  /** The series' value; its labels are the last ones given (as prom-client keeps them). */
  set(labels: Labels, value: number): void {
    this.series.set(this.key(labels), { labels, value });
  }
}

export class Counter extends Family {
  readonly type = 'counter';

  inc(labels: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up`);
    const key = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels, value: by });
  }
}

export class TextRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly families: Family[] = [];

  register(f: Family): void {
    if (this.families.some((x) => x.name === f.name))
      throw new Error(`a metric named ${f.name} is already registered`);
    this.families.push(f);
  }

  /** Every family, in the order registered, as prom-client's Registry.metrics() writes them. */
  metrics(): string {
    return `${this.families.map((f) => f.render()).join('\n\n')}\n`;
  }
}

/** Factories in prom-client's shape, so call sites read the same. */
export const gauge = (registry: TextRegistry, config: FamilyConfig): Gauge =>
  new Gauge(config, registry);
export const counter = (registry: TextRegistry, config: FamilyConfig): Counter =>
  new Counter(config, registry);
