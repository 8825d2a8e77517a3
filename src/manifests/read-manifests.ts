// YAML text → the pod specs it holds (Pod, PodTemplate, DaemonSet, Deployment, StatefulSet,
// ReplicaSet, ReplicationController, Job, CronJob; multi-document; `kind: List` items — what
// `kubectl get … -o yaml` prints — nested lists too), with each container, volume mount and volume
// located by line and column for findings, and by YAML path for patches. Aliases are resolved
// (`path: *kc`). Pure; never throws, never prints (library warnings are off).

import { LineCounter, parseAllDocuments, isMap, type Document } from 'yaml';
import { lengthAt, nodeAt, stringAt, stringsAt, type YamlPath } from './yaml-nodes.js';

export type { YamlPath } from './yaml-nodes.js';
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

export const POD_SPEC: Readonly<Record<string, YamlPath>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const SUPPORTED_KINDS = Object.keys(POD_SPEC);

const str = stringAt;
const items = lengthAt;

/** `kind: List` (and nested lists) nest at most this deep; deeper is reported, not followed. */
const MAX_LIST_DEPTH = 8;

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  pos(path: YamlPath): Pos {
    const at = nodeAt(this.doc, path)?.range?.[0] ?? 0;
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
      if (nodeAt(doc, [...path, k]) !== undefined) v.projectedKind = k;
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
          readOnly: stringAt(doc, [...mp, 'readOnly']) === 'true',
          path: mp,
          pos: loc.pos(mp),
        });
      }
      const list = (k: string): string[] => stringsAt(doc, [...path, k]);
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
      logLevel: 'error',
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
    readObject(doc, i, [], lines, out, 0);
  });
  return out;
}

/** One object at `at` in document `i`: a workload, a List to descend into, or a skipped kind. */
function readObject(
  doc: Document,
  i: number,
  at: YamlPath,
  lines: LineCounter,
  out: ManifestFile,
  depth: number,
): void {
  const kind = str(doc, [...at, 'kind']) ?? '';
  if (kind === 'List' || (kind.endsWith('List') && items(doc, [...at, 'items']) > 0)) {
    if (depth >= MAX_LIST_DEPTH) {
      out.problems.push({ message: `document ${i}: lists nested deeper than ${MAX_LIST_DEPTH}` });
      return;
    }
    for (let j = 0; j < items(doc, [...at, 'items']); j++) {
      const item = [...at, 'items', j];
      // kubectl's List items carry their own kind; a typed list (DaemonSetList) may omit it.
      if (str(doc, [...item, 'kind']) === undefined && kind !== 'List') {
        const inner = kind.slice(0, -'List'.length);
        readWorkload(doc, i, item, inner, lines, out);
      } else readObject(doc, i, item, lines, out, depth + 1);
    }
    return;
  }
  readWorkload(doc, i, at, kind, lines, out);
}

function readWorkload(
  doc: Document,
  i: number,
  at: YamlPath,
  kind: string,
  lines: LineCounter,
  out: ManifestFile,
): void {
  const specPath = POD_SPEC[kind];
  if (!specPath || !isMap(nodeAt(doc, at))) {
    out.skipped.push(kind || '(no kind)');
    return;
  }
  const spec = [...at, ...specPath];
  const loc = new Locator(doc, lines);
  out.workloads.push({
    doc: i,
    kind,
    name: str(doc, [...at, 'metadata', 'name']) ?? '',
    namespace: str(doc, [...at, 'metadata', 'namespace']) ?? 'default',
    containers: readContainers(doc, spec, loc),
    volumes: readVolumes(doc, spec, loc),
    pos: loc.pos([...at, 'kind']),
  });
}
