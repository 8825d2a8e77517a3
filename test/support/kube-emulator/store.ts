// Object storage with the metadata the API server owns: uid, resourceVersion (one counter for
// the whole store, like etcd's revision), creationTimestamp and generation. Timestamps are
// metav1.Time: RFC 3339 with whole seconds (apimachinery/pkg/apis/meta/v1/time.go MarshalJSON).
// Objects of types with a TTL (events) vanish that long after their last write.

import { randomUUID } from 'node:crypto';
import type { ResourceType } from './resources.js';
import { checkStoredSize } from './size-limits.js';

export interface Meta {
  name: string;
  finalizers?: string[];
  deletionTimestamp?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  [k: string]: unknown;
}

export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  [k: string]: unknown;
}

/** metav1.Time: second precision, UTC, `Z` */
export function wholeSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// metav1.Time fields of the built-in types we serve: decoded from RFC 3339 (fractions accepted)
// and stored with whole seconds. (MicroTime fields — Lease renewTime, Event eventTime — keep
// microseconds and are not listed.)
const TIME_FIELDS = new Set([
  'lastHeartbeatTime',
  'lastTransitionTime',
  'firstTimestamp',
  'lastTimestamp',
]);

// metav1.MicroTime (Lease renewTime/acquireTime, Event eventTime): RFC 3339 with exactly six
// fractional digits (apimachinery/pkg/apis/meta/v1/micro_time.go, RFC3339Micro).
const MICRO_FIELDS = new Set(['renewTime', 'acquireTime', 'eventTime']);

function microTime(s: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(s);
  return m ? `${m[1] ?? ''}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z` : s;
}

function normalizeTimes(v: unknown): void {
  if (Array.isArray(v)) v.forEach(normalizeTimes);
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (TIME_FIELDS.has(k) && typeof x === 'string' && !Number.isNaN(Date.parse(x)))
        (v as Record<string, unknown>)[k] = wholeSeconds(Date.parse(x));
      else if (MICRO_FIELDS.has(k) && typeof x === 'string')
        (v as Record<string, unknown>)[k] = microTime(x);
      else normalizeTimes(x);
    }
}

const keyOf = (t: ResourceType, ns: string, name: string): string =>
  `${t.group}/${t.resource}/${t.namespaced ? ns : ''}/${name}`;

export class Store {
  private objects = new Map<string, { obj: KObj; expires?: number }>();
  private rv = 1000;

  constructor(readonly now: () => number) {}

  get(t: ResourceType, ns: string, name: string): KObj | undefined {
    const k = keyOf(t, ns, name);
    const e = this.objects.get(k);
    if (e?.expires !== undefined && this.now() >= e.expires) {
      this.objects.delete(k);
      return undefined;
    }
    return e ? structuredClone(e.obj) : undefined;
  }

  /** Objects of a type (in a namespace, or all when ns is ''), sorted by key as etcd lists them. */
  list(t: ResourceType, ns: string): KObj[] {
    const prefix = `${t.group}/${t.resource}/${t.namespaced ? ns : ''}`;
    return [...this.objects.keys()]
      .filter(
        (k) =>
          k.startsWith(`${t.group}/${t.resource}/`) && (ns === '' || k.startsWith(`${prefix}/`)),
      )
      .sort()
      .map((k) => this.get(t, k.split('/')[2] ?? '', k.split('/').slice(3).join('/')))
      .filter((o): o is KObj => o !== undefined);
  }

  /** Stores a new object, filling the server-owned metadata. */
  create(t: ResourceType, obj: KObj): KObj {
    const o = structuredClone(obj);
    o.apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    o.kind = t.kind;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = wholeSeconds(this.now());
    if (t.resource !== 'events') o.metadata.generation = 1;
    return this.write(t, o);
  }

  /** Replaces an object: a new resourceVersion, and the TTL restarts (events). */
  write(t: ResourceType, obj: KObj): KObj {
    const o = structuredClone(obj);
    checkStoredSize(o);
    o.metadata.resourceVersion = String(++this.rv);
    if (!t.custom) normalizeTimes(o);
    const k = keyOf(t, o.metadata.namespace ?? '', o.metadata.name);
    this.objects.set(k, {
      obj: o,
      ...(t.ttlSeconds ? { expires: this.now() + t.ttlSeconds * 1000 } : {}),
    });
    return structuredClone(o);
  }

  delete(t: ResourceType, ns: string, name: string): boolean {
    return this.objects.delete(keyOf(t, ns, name));
  }

  get resourceVersion(): string {
    return String(this.rv);
  }
}
