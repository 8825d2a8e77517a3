// The emulated API server: HTTPS with a CA the test generates, the request pipeline of
// kube-apiserver in its order (staging/src/k8s.io/apiserver/pkg/server/config.go
// DefaultBuildHandlerChain): authentication (bearer token, then client certificate, else
// anonymous — an invalid token is 401, never anonymous), request info, authorization (RBAC from
// the shipped manifests; `system:masters` is always allowed, the privileged-group authorizer),
// then the resource handler. Every request is logged with the user and the outcome.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issue, type Issued } from '../certs.js';
import { authenticate, credentialOf } from './authn.js';
import { evictionHandler } from './eviction.js';
import { Faults, statusOfFault, type Fault } from './faults.js';
import { handle, type Reply } from './handlers.js';
import { renderDeploy, type Manifest } from '../deploy-manifests.js';
import { forbiddenMessage, Rbac, type UserInfo } from './rbac.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { BUILT_INS, typesFromCrds, type ResourceType } from './resources.js';
import { checkRequestBody } from './size-limits.js';
import { ApiError } from './status.js';
import { Store, type KObj } from './store.js';
import { TokenAuthority } from './tokens.js';

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  verb: string;
  resource: string;
  user: string;
  code: number;
  contentType: string;
  userAgent: string;
  /** which credential was presented: `token:<sha256 prefix>`, `cert:<CN>`, or `none` */
  credential: string;
}

export interface EmulatorOptions {
  /** objects to load RBAC and CRDs from; default: the rendered deploy/base */
  manifests?: Manifest[];
  /** a path the API is served under, as behind Rancher (`/k8s/clusters/c-m-1`) */
  pathPrefix?: string;
  /** subject alternative names of the serving certificate */
  sans?: string[];
}

/** Handles a request the generic registry does not (e.g. pods/eviction); undefined: not mine. */
export type Special = (info: RequestInfo, body: unknown, user: UserInfo) => Reply | undefined;

export class KubeEmulator {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  readonly store = new Store(this.now);
  readonly tokens = new TokenAuthority(this.now);
  readonly faults = new Faults();
  readonly requests: LoggedRequest[] = [];
  readonly types: ResourceType[];
  rbac: Rbac;
  ca!: Issued;
  url = '';
  private server: Server | undefined;
  private specials: Special[] = [];

  constructor(private readonly opts: EmulatorOptions = {}) {
    const manifests = opts.manifests ?? renderDeploy('base');
    this.rbac = new Rbac(manifests);
    this.types = [...BUILT_INS, ...typesFromCrds(manifests)];
    this.specials.push(
      evictionHandler(
        this.store,
        this.type('', 'pods'),
        this.type('policy', 'poddisruptionbudgets'),
      ),
    );
  }

  /** Replaces the RBAC objects (e.g. the shipped role with one rule removed). */
  useRbac(manifests: Manifest[]): void {
    this.rbac = new Rbac(manifests);
  }

  /** Serves more types, e.g. CRDs of Cluster API or Karpenter. */
  addCrds(crds: Manifest[]): void {
    this.types.push(...typesFromCrds(crds));
  }

  addSpecial(s: Special): void {
    this.specials.push(s);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  type(group: string, resource: string): ResourceType {
    const t = this.types.find((x) => x.group === group && x.resource === resource);
    if (!t) throw new Error(`emulator: no type ${resource}.${group}`);
    return t;
  }

  /** Stores an object directly, as an administrator would have created it. */
  seed(group: string, resource: string, obj: KObj): KObj {
    return this.store.create(this.type(group, resource), obj);
  }

  find(group: string, resource: string, name: string, ns = ''): KObj | undefined {
    return this.store.get(this.type(group, resource), ns, name);
  }

  /** A token for a cluster administrator (group system:masters). */
  adminToken(): string {
    return this.tokens.issueUser('admin', ['system:masters', 'system:authenticated'], 86_400);
  }

  async start(): Promise<string> {
    const now = new Date(this.now());
    const notBefore = new Date(now.getTime() - 3_600_000);
    const notAfter = new Date(now.getTime() + 30 * 86_400_000);
    this.ca = await issue({
      cn: 'emulated-kubernetes-ca',
      isCA: true,
      notBefore,
      notAfter,
      key: 'p256',
      seed: `ca-${now.getTime()}`,
    });
    const serving = await issue({
      cn: 'kube-apiserver',
      issuer: this.ca,
      notBefore,
      notAfter,
      key: 'p256',
      eku: ['serverAuth'],
      sans: this.opts.sans ?? ['IP:127.0.0.1', 'DNS:localhost'],
    });
    this.server = createServer(
      {
        key: serving.keyPem,
        cert: serving.pem,
        ca: this.ca.pem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => void this.respond(req, res, Buffer.concat(chunks).toString('utf8')));
      },
    );
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.opts.pathPrefix ?? ''}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private dispatch(
    req: IncomingMessage,
    raw: string,
    log: LoggedRequest,
  ): { reply: Reply; fault?: Fault } {
    const url = new URL(req.url ?? '/', 'https://x');
    const prefix = this.opts.pathPrefix ?? '';
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith(prefix))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const info = parseRequestInfo(method, url.pathname.slice(prefix.length), url.searchParams);
    log.verb = info?.verb ?? '';
    log.resource = info ? [info.resource, info.subresource].filter(Boolean).join('/') : '';
    const fault = this.faults.take(method, info);
    if (fault?.kind === 'status') {
      const s = statusOfFault(fault.code);
      const retry: Record<string, string> =
        fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : {};
      throw new ApiError(fault.code, s.reason, s.message, undefined, retry);
    }
    const user = authenticate(req, this.tokens);
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    log.user = user.name;
    if (!info)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (!user.groups.includes('system:masters') && !this.rbac.allows(user, info))
      throw new ApiError(403, 'Forbidden', forbiddenMessage(user.name, info), {
        ...(info.name ? { name: info.name } : {}),
        group: info.group,
        kind: info.resource,
      });
    const t = this.types.find(
      (x) => x.group === info.group && x.version === info.version && x.resource === info.resource,
    );
    const scoped = info.namespace !== '' && info.resource !== 'namespaces';
    if (!t || (scoped && !t.namespaced) || (!scoped && t.namespaced && info.verb !== 'list'))
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    let body: unknown = undefined;
    checkRequestBody(raw);
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch (e) {
        throw new ApiError(
          400,
          'BadRequest',
          `the object provided is unrecognized: ${(e as Error).message}`,
        );
      }
    }
    for (const s of this.specials) {
      const r = s(info, body, user);
      if (r) return { reply: r, ...(fault ? { fault } : {}) };
    }
    const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    return {
      reply: handle(this.store, t, info, body, ct, url.searchParams),
      ...(fault ? { fault } : {}),
    };
  }

  private async respond(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://x');
    const log: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      verb: '',
      resource: '',
      user: '',
      code: 0,
      contentType: (req.headers['content-type'] ?? '').split(';')[0] ?? '',
      userAgent: req.headers['user-agent'] ?? '',
      credential: credentialOf(req),
    };
    this.requests.push(log);
    let reply: Reply;
    let fault: Fault | undefined;
    let headers: Record<string, string> = {};
    try {
      ({ reply, fault } = this.dispatch(req, raw, log));
    } catch (e) {
      // A bug in the emulation answers 500 like an apiserver panic handler, and is logged.
      const err =
        e instanceof ApiError
          ? e
          : new ApiError(500, 'InternalError', `Internal error occurred: ${String(e)}`);
      reply = { code: err.code, body: err.toStatus() };
      headers = err.headers;
    }
    log.code = reply.code;
    const text = Buffer.from(JSON.stringify(reply.body));
    res.writeHead(reply.code, {
      'content-type': 'application/json',
      'content-length': text.length,
      ...headers,
    });
    if (fault?.kind === 'slow') {
      res.flushHeaders();
      await new Promise((r) => setTimeout(r, fault.delayMs));
    }
    if (fault?.kind === 'truncate') {
      res.write(text.subarray(0, Math.floor(text.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.end(text);
  }
}
