// The request attributes the API server derives from a URL and method before authorizing it
// (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, RequestInfoFactory):
// /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]] and the same under /apis/GROUP/VERSION.
// The verb comes from the method: GET → get/list (watch with ?watch=true), POST → create,
// PUT → update, PATCH → patch, DELETE → delete/deletecollection.

export interface RequestInfo {
  verb: string;
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export function parseRequestInfo(
  method: string,
  path: string,
  query: URLSearchParams,
): RequestInfo | null {
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return null;
  if (rest.length === 0) return null;
  let namespace = '';
  // `namespaces/NS/...` addresses a namespaced resource; `namespaces/NS` alone is the Namespace.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    namespace = rest[1] ?? '';
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  if (extra.length > 0) return null;
  const collection = name === '';
  const verb =
    method === 'GET' || method === 'HEAD'
      ? query.get('watch') === 'true' || query.get('watch') === '1'
        ? 'watch'
        : collection
          ? 'list'
          : 'get'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? collection
                ? 'deletecollection'
                : 'delete'
              : method.toLowerCase();
  return { verb, group, version, namespace, resource, subresource, name };
}
