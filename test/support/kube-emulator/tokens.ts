// Service-account tokens as bound tokens behave: each has an expiry; kubelet rewrites the
// projected token file before it expires (about hourly, at 80 % of its life); once expired the
// token authenticator rejects it with 401 (pkg/serviceaccount/claims.go, `exp` checked with no
// leeway beyond the configured extension). Tokens here are opaque random strings: clients must
// not parse them either. User names follow serviceaccount.MakeUsername
// (`system:serviceaccount:NS:NAME`) with the groups `system:serviceaccounts` and
// `system:serviceaccounts:NS` (staging/src/k8s.io/apiserver/pkg/authentication/serviceaccount).

import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import type { UserInfo } from './rbac.js';

interface Issued {
  user: UserInfo;
  expires: number;
}

export class TokenAuthority {
  private tokens = new Map<string, Issued>();

  constructor(private readonly now: () => number) {}

  /** A token for the service account NS/NAME valid for `ttlSeconds` from now. */
  issue(namespace: string, name: string, ttlSeconds: number): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, {
      user: {
        name: `system:serviceaccount:${namespace}:${name}`,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${namespace}`,
          'system:authenticated',
        ],
      },
      expires: this.now() + ttlSeconds * 1000,
    });
    return token;
  }

  /** A token for a user (e.g. an administrator seeding the cluster in a test). */
  issueUser(name: string, groups: string[], ttlSeconds: number): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { user: { name, groups }, expires: this.now() + ttlSeconds * 1000 });
    return token;
  }

  /**
   * Issues a fresh token and writes it to `file` as kubelet does (atomically: a projected volume
   * swaps a `..data` symlink, so a reader never sees half a token).
   */
  rotate(file: string, namespace: string, name: string, ttlSeconds: number): string {
    const token = this.issue(namespace, name, ttlSeconds);
    writeFileSync(`${file}.tmp`, token);
    renameSync(`${file}.tmp`, file);
    return token;
  }

  /** Expires a token now (e.g. the bound pod was deleted). */
  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The user, or null: unknown or expired tokens are 401, never anonymous. */
  authenticate(token: string): UserInfo | null {
    const t = this.tokens.get(token);
    if (!t || this.now() >= t.expires) return null;
    return t.user;
  }
}
