// What each verb does to storage, with the semantics of the real registries
// (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go and the strategies):
// - create: 409 AlreadyExists; server-owned metadata set, user metadata (labels, annotations,
//   ownerReferences) kept; with a status subresource the status of a create is dropped
//   (customresource/strategy.go PrepareForCreate, node strategy likewise);
// - update: a stale resourceVersion is 409; custom resources refuse an update without one with
//   422 (strategy AllowUnconditionalUpdate() == false); the main resource keeps the stored
//   status and the status subresource keeps everything but status (PrepareForUpdate of the
//   status strategies); generation is bumped when anything outside metadata and status changed;
// - patch: applied to the stored object, then treated as an update with the patch's own
//   resourceVersion as precondition (handlers/patch.go);
// - GET of `…/status` returns the whole object;
// - an update or patch that changes nothing writes nothing: same resourceVersion, no new
//   revision (storage/etcd3/store.go GuaranteedUpdate: `if !origState.stale &&
//   bytes.Equal(data, origState.data)` returns the stored object without a transaction).

import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  unsupportedPatch,
} from './status.js';
import { prune, validate } from './crd-schema.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceType } from './resources.js';
import { wholeSeconds, type KObj, type Store } from './store.js';
import { listPage } from './list.js';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

export interface Reply {
  code: number;
  body: unknown;
}

function checkSchema(t: ResourceType, obj: KObj): KObj {
  if (!t.custom || !t.schema) return obj;
  const pruned = prune(obj, t.schema) as KObj;
  const errs = validate(pruned, t.schema);
  if (errs.length > 0) throw invalid(t.kind, t.group, obj.metadata.name, errs);
  return pruned;
}

const specOf = (o: KObj): string => {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
};

function existing(store: Store, t: ResourceType, req: RequestInfo): KObj {
  const cur = store.get(t, req.namespace, req.name);
  if (!cur) throw notFound(t.group, t.resource, req.name);
  return cur;
}

function create(store: Store, t: ResourceType, req: RequestInfo, body: KObj): Reply {
  const name = body.metadata.name;
  if (!name)
    throw invalid(t.kind, t.group, '', [
      { field: 'metadata.name', message: 'Required value: name or generateName is required' },
    ]);
  if (t.namespaced && body.metadata.namespace && body.metadata.namespace !== req.namespace)
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  if (store.get(t, req.namespace, name)) throw alreadyExists(t.group, t.resource, name);
  const obj = structuredClone(body);
  if (t.namespaced) obj.metadata.namespace = req.namespace;
  if (t.subresources.includes('status')) delete obj.status;
  return { code: 201, body: store.create(t, checkSchema(t, obj)) };
}

function update(store: Store, t: ResourceType, req: RequestInfo, body: KObj, cur: KObj): Reply {
  if (body.metadata.name !== req.name)
    throw badRequest(
      `the name of the object (${body.metadata.name}) does not match the name on the URL (${req.name})`,
    );
  const rv = body.metadata.resourceVersion;
  if (!rv && (t.custom || t.conditionalOnly))
    throw invalid(t.kind, t.group, req.name, [
      {
        field: 'metadata.resourceVersion',
        message: 'Invalid value: 0x0: must be specified for an update',
      },
    ]);
  if (rv && rv !== cur.metadata.resourceVersion) throw conflict(t.group, t.resource, req.name);
  let next: KObj;
  if (req.subresource === 'status') {
    next = { ...cur, status: body.status };
  } else {
    next = {
      ...body,
      apiVersion: cur.apiVersion,
      kind: cur.kind,
      metadata: {
        ...body.metadata,
        // server-owned: the URL names the object; uid and creation time never change
        name: req.name,
        ...(t.namespaced ? { namespace: req.namespace } : {}),
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
      },
    };
    if (t.subresources.includes('status')) {
      if ('status' in cur) next.status = cur.status;
      else delete next.status;
    }
    if (cur.metadata.generation !== undefined)
      next.metadata.generation = cur.metadata.generation + (specOf(next) !== specOf(cur) ? 1 : 0);
  }
  next.apiVersion = cur.apiVersion;
  next.kind = cur.kind;
  // store.go: an object marked for deletion goes once its last finalizer is removed.
  if (cur.metadata.deletionTimestamp !== undefined) {
    next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    if ((next.metadata.finalizers ?? []).length === 0) {
      store.delete(t, req.namespace, req.name);
      return { code: 200, body: next };
    }
  }
  const checked = checkSchema(t, next);
  const same = {
    ...checked,
    metadata: { ...checked.metadata, resourceVersion: cur.metadata.resourceVersion },
  };
  if (stableJson(same) === stableJson(cur)) return { code: 200, body: structuredClone(cur) };
  return { code: 200, body: store.write(t, checked) };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function patch(
  store: Store,
  t: ResourceType,
  req: RequestInfo,
  raw: unknown,
  contentType: string,
  cur: KObj,
): Reply {
  const accepted = t.custom ? PATCH_TYPES.slice(0, 2) : PATCH_TYPES;
  if (!accepted.includes(contentType)) throw unsupportedPatch(contentType, accepted);
  let patched: KObj;
  try {
    patched = (
      contentType === PATCH_TYPES[0]
        ? jsonPatch(cur, raw)
        : contentType === PATCH_TYPES[1]
          ? mergePatch(cur, raw)
          : strategicMergePatch(cur, raw)
    ) as KObj;
  } catch (e) {
    if (e instanceof PatchError)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${e.message}`,
      );
    throw e;
  }
  // A patch carries no resourceVersion unless the client put one there as a precondition.
  const precondition =
    patched.metadata.resourceVersion !== cur.metadata.resourceVersion
      ? patched.metadata.resourceVersion
      : undefined;
  return update(
    store,
    t,
    req,
    {
      ...patched,
      metadata: {
        ...patched.metadata,
        resourceVersion: precondition ?? cur.metadata.resourceVersion ?? '',
      },
    },
    cur,
  );
}

const hasMeta = (b: unknown): b is KObj =>
  typeof b === 'object' && b !== null && typeof (b as { metadata?: unknown }).metadata === 'object';

export function handle(
  store: Store,
  t: ResourceType,
  req: RequestInfo,
  body: unknown,
  contentType: string,
  query: URLSearchParams,
): Reply {
  if (req.subresource && !t.subresources.includes(req.subresource))
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  switch (req.verb) {
    case 'get':
      return { code: 200, body: existing(store, t, req) };
    case 'list':
      return { code: 200, body: listPage(store, t, req.namespace, query) };
    case 'create':
      if (req.name)
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      if (!hasMeta(body)) throw badRequest("Object 'metadata' is missing");
      return create(store, t, req, body);
    case 'update':
      if (!hasMeta(body)) throw badRequest("Object 'metadata' is missing");
      return update(store, t, req, body, existing(store, t, req));
    case 'patch':
      return patch(store, t, req, body, contentType, existing(store, t, req));
    case 'delete': {
      // store.go Delete: with finalizers the object is only marked (deletionTimestamp) and stays
      // until its controllers remove them; without, it goes at once.
      const cur = existing(store, t, req);
      if ((cur.metadata.finalizers ?? []).length > 0) {
        cur.metadata.deletionTimestamp ??= wholeSeconds(store.now());
        cur.metadata.deletionGracePeriodSeconds = 0;
        return { code: 200, body: store.write(t, cur) };
      }
      store.delete(t, req.namespace, req.name);
      return { code: 200, body: cur };
    }
    default:
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
  }
}
