// What the client presents to the API server, and how it is renewed. A credential source gives
// the material for the next request and is told when the server answered 401, so a rotated
// token (file rewritten by kubelet) or an expired plugin credential is picked up at once.

import { WatchedFile } from './watched-file.js';

export interface AuthMaterial {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

export interface Credentials {
  /** for messages: where the credential comes from, never its value */
  readonly describe: string;
  get(): Promise<AuthMaterial>;
  /** the server said 401: re-read the source; true when something changed (worth a retry) */
  refresh(): Promise<boolean>;
}

export function staticCredentials(m: AuthMaterial, describe: string): Credentials {
  return { describe, get: () => Promise.resolve(m), refresh: () => Promise.resolve(false) };
}

/** A bearer token in a file, re-read when it changes (and at most every minute). */
export function tokenFileCredentials(path: string, now?: () => number): Credentials {
  const file = new WatchedFile(path, now);
  return {
    describe: `token file ${path}`,
    get: () => Promise.resolve({ token: file.read().toString('utf8').trim() }),
    refresh: () => Promise.resolve(file.refresh()),
  };
}

/** A client certificate and key in files (kubelet rotates its own; others are rotated by hand). */
export function certFileCredentials(
  certPath: string,
  keyPath: string,
  now?: () => number,
): Credentials {
  const cert = new WatchedFile(certPath, now);
  const key = new WatchedFile(keyPath, now);
  return {
    describe: `client certificate ${certPath}`,
    get: () => Promise.resolve({ cert: cert.read(), key: key.read() }),
    refresh: () => {
      const a = cert.refresh();
      const b = key.refresh();
      return Promise.resolve(a || b);
    },
  };
}
