// YAML text → the pod specs it holds (Pod, DaemonSet, Deployment, StatefulSet, ReplicaSet, Job,
// CronJob; multi-document), with each container, volume mount and volume located by line and
// column for findings, and by YAML path for patches. Pure; never throws.

import {
  LineCounter,
  parseAllDocuments,
  isMap,
  isSeq,
  isScalar,
  type Document,
  type Node,
} from 'yaml';

export type YamlPath = (string | number)[];

export interface Pos {
  line: number;
  column: number;
}

export interface ManifestVolume {
  name: string;
  path: YamlPath;
  pos: Pos;
  hostPath?: { path: string; type?: string; pathPos: Pos };
  /** secret, configMap or projected: sources that the kubelet updates in place (unless subPath) */
  projectedKind?: 'secret' | 'configMap' | 'projected';
}

export interface ManifestMount {
  name: string;
  mountPath: string;
  subPath?: string;
  mountPropagation?: string;
  readOnly: boolean;
  path: YamlPath;
  pos: Pos;
}

export interface ManifestContainer {
  name: string;
  image: string;
  init: boolean;
  args: string[];
  mounts: ManifestMount[];
  pos: Pos;
}

export interface ManifestWorkload {
  /** 0-based document index in the file */
  doc: number;
  kind: string;
  name: string;
  namespace: string;
  containers: ManifestContainer[];
  volumes: ManifestVolume[];
  pos: Pos;
}

export interface ManifestProblem {
  message: string;
  pos?: Pos;
}

export interface ManifestFile {
  workloads: ManifestWorkload[];
  /** documents of kinds without a pod template (ConfigMap, Service…), by kind */
  skipped: string[];
  problems: ManifestProblem[];
}

const POD_SPEC: Readonly<Record<string, YamlPath>> = {
  Pod: ['spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const SUPPORTED_KINDS = Object.keys(POD_SPEC);

function str(doc: Document, path: YamlPath): string | undefined {
  const v = doc.getIn(path);
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : undefined;
}

function items(doc: Document, path: YamlPath): number {
  const n = doc.getIn(path, true);
  return isSeq(n) ? n.items.length : 0;
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  pos(path: YamlPath): Pos {
    const n = this.doc.getIn(path, true) as Node | undefined;
    const at = n?.range?.[0] ?? 0;
    const p = this.lines.linePos(at);
    return { line: p.line, column: p.col };
  }
}

function readVolumes(doc: Document, spec: YamlPath, loc: Locator): ManifestVolume[] {
  const out: ManifestVolume[] = [];
  for (let i = 0; i < items(doc, [...spec, 'volumes']); i++) {
    const path = [...spec, 'volumes', i];
    const v: ManifestVolume = { name: str(doc, [...path, 'name']) ?? '', path, pos: loc.pos(path) };
    const hp = str(doc, [...path, 'hostPath', 'path']);
    if (hp !== undefined) {
      const type = str(doc, [...path, 'hostPath', 'type']);
      v.hostPath = {
        path: hp,
        ...(type ? { type } : {}),
        pathPos: loc.pos([...path, 'hostPath', 'path']),
      };
    }
    for (const k of ['secret', 'configMap', 'projected'] as const)
      if (doc.hasIn([...path, k])) v.projectedKind = k;
    out.push(v);
  }
  return out;
}

function readContainers(doc: Document, spec: YamlPath, loc: Locator): ManifestContainer[] {
  const out: ManifestContainer[] = [];
  for (const [key, init] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    for (let i = 0; i < items(doc, [...spec, key]); i++) {
      const path = [...spec, key, i];
      const mounts: ManifestMount[] = [];
      for (let j = 0; j < items(doc, [...path, 'volumeMounts']); j++) {
        const mp = [...path, 'volumeMounts', j];
        const subPath = str(doc, [...mp, 'subPath']);
        const prop = str(doc, [...mp, 'mountPropagation']);
        mounts.push({
          name: str(doc, [...mp, 'name']) ?? '',
          mountPath: str(doc, [...mp, 'mountPath']) ?? '',
          ...(subPath ? { subPath } : {}),
          ...(prop ? { mountPropagation: prop } : {}),
          readOnly: doc.getIn([...mp, 'readOnly']) === true,
          path: mp,
          pos: loc.pos(mp),
        });
      }
      const list = (k: string): string[] => {
        const n = doc.getIn([...path, k], true);
        return isSeq(n) ? n.items.map((x) => (isScalar(x) ? String(x.value) : '')) : [];
      };
      out.push({
        name: str(doc, [...path, 'name']) ?? '',
        image: str(doc, [...path, 'image']) ?? '',
        init,
        args: [...list('command'), ...list('args')],
        mounts,
        pos: loc.pos(path),
      });
    }
  }
  return out;
}

export function readManifests(text: string): ManifestFile {
  const out: ManifestFile = { workloads: [], skipped: [], problems: [] };
  const lines = new LineCounter();
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lines,
      uniqueKeys: false,
      prettyErrors: false,
    });
  } catch (err) {
    out.problems.push({
      message: `not valid YAML: ${err instanceof Error ? err.message : String(err)}`,
    });
    return out;
  }
  docs.forEach((doc, i) => {
    const first = doc.errors[0];
    if (first) {
      const p = lines.linePos(first.pos[0]);
      out.problems.push({
        message: `document ${i}: not valid YAML: ${first.message.split('\n')[0] ?? ''}`,
        pos: { line: p.line, column: p.col },
      });
      return;
    }
    if (!isMap(doc.contents)) {
      if (doc.contents !== null) out.problems.push({ message: `document ${i} is not a mapping` });
      return;
    }
    const kind = str(doc, ['kind']) ?? '';
    const spec = POD_SPEC[kind];
    if (!spec) {
      out.skipped.push(kind || '(no kind)');
      return;
    }
    const loc = new Locator(doc, lines);
    out.workloads.push({
      doc: i,
      kind,
      name: str(doc, ['metadata', 'name']) ?? '',
      namespace: str(doc, ['metadata', 'namespace']) ?? 'default',
      containers: readContainers(doc, spec, loc),
      volumes: readVolumes(doc, spec, loc),
      pos: loc.pos(['kind']),
    });
  });
  return out;
}
