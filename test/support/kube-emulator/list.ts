// Lists with chunking (KEP-365, API concepts "Retrieving large results sets in chunks"):
// `limit` caps the page, `metadata.continue` is an opaque token for the next page and
// `remainingItemCount` counts what is left; an unparseable token is 400. Items are in key order.
// `labelSelector` supports the equality forms (`a=b`, `a==b`, `a!=b`, `a`, `!a`).

import { ApiError, badRequest } from './status.js';
import type { ResourceType } from './resources.js';
import type { KObj, Store } from './store.js';

function selects(selector: string, labels: Record<string, string>): boolean {
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .every((term) => {
      const m = /^(!?)([^=!]+?)(?:\s*(==|=|!=)\s*(.*))?$/.exec(term);
      if (!m) throw badRequest(`unable to parse requirement: ${term}`);
      const [, not, key = '', op, value] = m;
      if (!op) return not ? !(key in labels) : key in labels;
      return op === '!=' ? labels[key] !== value : labels[key] === value;
    });
}

export function listPage(store: Store, t: ResourceType, ns: string, q: URLSearchParams): object {
  let items: KObj[] = store.list(t, ns);
  const selector = q.get('labelSelector');
  if (selector) items = items.filter((o) => selects(selector, o.metadata.labels ?? {}));
  const token = q.get('continue');
  if (token) {
    let after: string;
    try {
      after = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { start: string })
        .start;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    if (typeof after !== 'string')
      throw new ApiError(400, 'BadRequest', 'continue key is not valid');
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after);
  }
  const limit = Number(q.get('limit') ?? '0');
  const page = limit > 0 ? items.slice(0, limit) : items;
  const more = items.length - page.length;
  const last = page[page.length - 1];
  return {
    kind: `${t.kind}List`,
    apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
    metadata: {
      resourceVersion: store.resourceVersion,
      ...(more > 0 && last
        ? {
            continue: Buffer.from(
              JSON.stringify({ start: `${last.metadata.namespace ?? ''}/${last.metadata.name}` }),
            ).toString('base64'),
            remainingItemCount: more,
          }
        : {}),
    },
    items: page,
  };
}
