// A small in-process Kubernetes API server for the calls certdrift makes, speaking the real JSON
// and semantics: Status objects on errors, strategic-merge vs merge patch (conditions merge by
// type only in the former; other patch types are 415), 409 AlreadyExists on create, the status
// subresource (only status changes; status in a create is dropped), and 409 Conflict when a PUT
// carries a stale resourceVersion. Kept honest and small: anything else is 404.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = {
  metadata: { name: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
};

export class FakeApiServer {
  readonly nodes = new Map<string, Obj>();
  readonly events = new Map<string, Obj>();
  readonly reports = new Map<string, Obj>();
  readonly requests: { method: string; path: string; contentType: string }[] = [];
  /** answer everything with 503, as an API server that is down */
  down = false;
  /** when set, requests must carry `Authorization: Bearer <token>` (else 401) */
  token: string | undefined;
  /** make the next N status PUTs of reports conflict, as if another writer raced us */
  conflicts = 0;
  private rv = 100;
  private server: Server | undefined;

  addNode(name: string, conditions: object[] = []): void {
    this.nodes.set(name, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `uid-${name}`, resourceVersion: String(++this.rv) },
      status: { conditions },
    });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, res, Buffer.concat(chunks).toString('utf8'));
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }

  private send(res: ServerResponse, code: number, body: object): true {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return true;
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): true {
    return this.send(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });
  }

  private bump(o: Obj): Obj {
    o.metadata.resourceVersion = String(++this.rv);
    return o;
  }

  /** Answers one request; returns once a response was sent. */
  private handle(req: IncomingMessage, res: ServerResponse, raw: string): true {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const ct = (req.headers['content-type'] ?? '').split(';')[0] ?? '';
    this.requests.push({ method, path, contentType: ct });
    if (this.down)
      return this.status(
        res,
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
      );
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return this.status(res, 400, 'BadRequest', 'invalid JSON');
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/nodes\/([^/]+)(\/status)?$/.exec(path))) {
      const node = this.nodes.get(decodeURIComponent(m[1] ?? ''));
      if (!node) return this.status(res, 404, 'NotFound', `nodes "${m[1] ?? ''}" not found`);
      if (method === 'GET' && !m[2]) return this.send(res, 200, node);
      if (method === 'PATCH' && m[2]) {
        const patch = (body.status ?? {}) as { conditions?: { type: string }[] };
        const st = node.status as { conditions: { type: string }[] };
        if (ct === 'application/strategic-merge-patch+json') {
          for (const c of patch.conditions ?? []) {
            const i = st.conditions.findIndex((x) => x.type === c.type);
            if (i >= 0) st.conditions[i] = { ...st.conditions[i], ...c };
            else st.conditions.push(c);
          }
        } else if (ct === 'application/merge-patch+json') {
          if (patch.conditions) st.conditions = patch.conditions; // RFC 7386: lists are replaced
        } else {
          return this.status(
            res,
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/strategic-merge-patch+json, application/merge-patch+json`,
          );
        }
        return this.send(res, 200, this.bump(node));
      }
      return this.status(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events(?:\/([^/]+))?$/.exec(path))) {
      const key = (name: string): string => `${m?.[1] ?? ''}/${name}`;
      if (method === 'POST' && !m[2]) {
        const meta = body.metadata as { name?: string } | undefined;
        const name = meta?.name ?? '';
        if (this.events.has(key(name)))
          return this.status(res, 409, 'AlreadyExists', `events "${name}" already exists`);
        const ev = this.bump({ ...body, metadata: { ...meta, name } });
        this.events.set(key(name), ev);
        return this.send(res, 201, ev);
      }
      const ev = m[2] ? this.events.get(key(decodeURIComponent(m[2]))) : undefined;
      if (!ev) return this.status(res, 404, 'NotFound', `events "${m[2] ?? ''}" not found`);
      if (method === 'GET') return this.send(res, 200, ev);
      if (method === 'PATCH' && ct === 'application/merge-patch+json') {
        Object.assign(ev, body);
        return this.send(res, 200, this.bump(ev));
      }
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        'merge-patch+json only in this emulation',
      );
    }
    if (
      (m =
        /^\/apis\/certdrift\.io\/v1alpha1\/nodecertificatereports(?:\/([^/]+)(\/status)?)?$/.exec(
          path,
        ))
    ) {
      const name = m[1] ? decodeURIComponent(m[1]) : undefined;
      if (method === 'POST' && !name) {
        const meta = body.metadata as { name?: string } | undefined;
        const n = meta?.name ?? '';
        if (this.reports.has(n))
          return this.status(
            res,
            409,
            'AlreadyExists',
            `nodecertificatereports.certdrift.io "${n}" already exists`,
          );
        // With the status subresource enabled, a create ignores status.
        const { status: _ignored, ...rest } = body;
        const obj = this.bump({ ...rest, metadata: { name: n, uid: `uid-report-${n}` } });
        this.reports.set(n, obj);
        return this.send(res, 201, obj);
      }
      const obj = name ? this.reports.get(name) : undefined;
      if (!obj)
        return this.status(
          res,
          404,
          'NotFound',
          `nodecertificatereports.certdrift.io "${name ?? ''}" not found`,
        );
      if (method === 'GET' && !m[2]) return this.send(res, 200, obj);
      if (method === 'PUT' && m[2]) {
        const rv = (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (this.conflicts > 0) {
          this.conflicts--;
          this.bump(obj); // another writer got there first
        }
        if (rv !== obj.metadata.resourceVersion) {
          return this.status(
            res,
            409,
            'Conflict',
            `Operation cannot be fulfilled on nodecertificatereports.certdrift.io "${name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        obj.status = body.status; // the status subresource changes status only
        return this.send(res, 200, this.bump(obj));
      }
      return this.status(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
    }
    return this.status(res, 404, 'NotFound', `the server could not find the requested resource`);
  }
}
