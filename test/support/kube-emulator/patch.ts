// The three patch types of `PATCH` (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go):
// - application/json-patch+json: RFC 6902 operations (a failed `test` is a 422... the server
//   answers 422 for every patch that cannot apply);
// - application/merge-patch+json: RFC 7386 — objects merge, `null` deletes, lists are replaced;
// - application/strategic-merge-patch+json: built-in types only (a custom resource answers 415,
//   patchhandler: "strategic merge patch is not supported for custom resources"); lists with a
//   `patchMergeKey` in the Go types merge element by element on that key
//   (apimachinery/pkg/util/strategicpatch), other lists are replaced; `$patch: delete` removes.

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export class PatchError extends Error {}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// The patchMergeKey of list fields certdrift and rotate touch (k8s.io/api/core/v1/types.go).
const MERGE_KEYS: Record<string, string> = {
  'status.conditions': 'type',
  'status.addresses': 'type',
  'spec.taints': 'key',
  'metadata.ownerReferences': 'uid',
  'spec.containers': 'name',
  'spec.template.spec.containers': 'name',
};

export function strategicMergePatch(target: Json, patch: Json, path = ''): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    const p = path ? `${path}.${k}` : k;
    if (k.startsWith('$')) continue; // directives are consumed below or ignored
    if (v === null) Reflect.deleteProperty(out, k);
    else if (Array.isArray(v) && MERGE_KEYS[p] && Array.isArray(out[k])) {
      const key = MERGE_KEYS[p] ?? '';
      const list = clone(out[k] as Json[]);
      for (const item of v) {
        if (!isObj(item)) throw new PatchError(`${p}: list items must be objects`);
        const i = list.findIndex((x) => isObj(x) && x[key] === item[key]);
        if (item.$patch === 'delete') {
          if (i >= 0) list.splice(i, 1);
        } else if (i >= 0) list[i] = strategicMergePatch(list[i], item, p);
        else list.push(strategicMergePatch({}, item, p));
      }
      out[k] = list;
    } else out[k] = strategicMergePatch(out[k], v, p);
  }
  return out;
}

// RFC 6901 JSON pointer
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, toks: string[]): { parent: Obj | Json[]; last: string } {
  let cur: Json = doc;
  for (const t of toks.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObj(cur)) cur = cur[t];
    else throw new PatchError(`path not found: /${toks.join('/')}`);
  }
  if (!Array.isArray(cur) && !isObj(cur))
    throw new PatchError(`path not found: /${toks.join('/')}`);
  return { parent: cur, last: toks[toks.length - 1] ?? '' };
}

function get(doc: Json, pointer: string): Json {
  let cur: Json = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(cur) && /^\d+$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)];
    else if (isObj(cur) && t in cur) cur = cur[t];
    else throw new PatchError(`path not found: ${pointer}`);
  }
  return cur;
}

function put(doc: Json, pointer: string, value: Json, replace: boolean): void {
  const { parent, last } = parentOf(doc, tokens(pointer));
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length)
      throw new PatchError(`index out of range: ${pointer}`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(last in parent)) throw new PatchError(`path not found: ${pointer}`);
    parent[last] = value;
  }
}

function remove(doc: Json, pointer: string): void {
  get(doc, pointer);
  const { parent, last } = parentOf(doc, tokens(pointer));
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else Reflect.deleteProperty(parent, last);
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is a list of operations');
  const doc = clone(target);
  for (const op of ops) {
    if (!isObj(op) || typeof op.path !== 'string') throw new PatchError('invalid operation');
    const from = typeof op.from === 'string' ? op.from : '';
    switch (op.op) {
      case 'add':
        put(doc, op.path, clone(op.value), false);
        break;
      case 'replace':
        put(doc, op.path, clone(op.value), true);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'copy':
        put(doc, op.path, clone(get(doc, from)), false);
        break;
      case 'move': {
        const v = get(doc, from);
        remove(doc, from);
        put(doc, op.path, v, false);
        break;
      }
      case 'test':
        if (JSON.stringify(get(doc, op.path)) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${op.path} failed`);
        break;
      default:
        throw new PatchError(`unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
