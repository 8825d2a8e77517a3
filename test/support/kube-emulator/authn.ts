// Authentication in kube-apiserver's order (staging/src/k8s.io/apiserver/pkg/authentication):
// a bearer token (request/bearertoken) is checked first and, when present but unknown or
// expired, the request is 401 — never downgraded to anonymous; then a client certificate signed
// by the cluster CA (request/x509: CN = user, O = groups); else the anonymous user
// (`system:anonymous`, group `system:unauthenticated`), which RBAC then refuses.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { UserInfo } from './rbac.js';
import type { TokenAuthority } from './tokens.js';

export function authenticate(req: IncomingMessage, tokens: TokenAuthority): UserInfo | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m?.[1] ? tokens.authenticate(m[1]) : null;
  }
  const sock = req.socket;
  if (sock instanceof TLSSocket && sock.authorized) {
    const peer = sock.getPeerCertificate();
    const o = peer.subject.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
    const cn = peer.subject.CN;
    return {
      name: (Array.isArray(cn) ? cn[0] : cn) ?? '',
      groups: [...groups, 'system:authenticated'],
    };
  }
  return { name: 'system:anonymous', groups: ['system:unauthenticated'] };
}

/** How a token shows in the request log (a hash prefix, never the token). */
export const tokenId = (token: string): string =>
  `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/** Which credential a request presented: `token:<id>`, `cert:<CN>`, or `none`. */
export function credentialOf(req: IncomingMessage): string {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (m?.[1]) return tokenId(m[1]);
  const sock = req.socket;
  if (sock instanceof TLSSocket && sock.authorized)
    return `cert:${String(sock.getPeerCertificate().subject.CN)}`;
  return 'none';
}
