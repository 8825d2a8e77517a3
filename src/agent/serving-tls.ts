// The agent's own serving certificate, from files (a mounted Secret: cert-manager's, or one an
// operator made), reloaded when they change. certdrift of all tools must not hold a stale
// certificate: before each new connection's handshake, at most once a second, the files are
// stat'ed (device, inode, size, mtime — a Secret volume swaps a `..data` link, which changes the
// inode) and, when either changed, loaded and checked as a pair; a pair that fails to load keeps
// the last good one in service and is reported once.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { Server } from 'node:https';

export interface ServingTlsFiles {
  certFile: string;
  keyFile: string;
}

const MAX_BYTES = 1 << 20;

function identity(path: string): string {
  const s = statSync(path);
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
}

/** The file, refused by its size before a byte is read (and again if it grew meanwhile). */
function readCapped(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size > MAX_BYTES) throw new Error(`${path}: larger than ${MAX_BYTES} bytes`);
    const buf = Buffer.alloc(MAX_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n <= MAX_BYTES; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_BYTES) throw new Error(`${path}: larger than ${MAX_BYTES} bytes`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export class ServingTls {
  private seen = '';
  private checkedAt = -Infinity;
  private current: SecureContextOptions | undefined;
  /** the last reload's failure, if the files in service are not the files on disk */
  lastError: string | undefined;
  /** how many times a new pair went into service (the first load included) */
  loads = 0;

  constructor(
    private readonly files: ServingTlsFiles,
    private readonly now: () => number,
    private readonly log: (m: string) => void,
  ) {}

  /** Loads the pair; throws when the first load fails (the agent cannot serve without it). */
  load(): SecureContextOptions {
    const opts = this.reload();
    if (!opts) throw new Error(this.lastError ?? 'TLS files not loaded');
    return opts;
  }

  /** Reloads into `server` when the files changed (at most once a second). */
  refresh(server: Server): void {
    const t = this.now();
    if (t - this.checkedAt < 1000) return;
    this.checkedAt = t;
    const before = this.current;
    const opts = this.reload();
    if (opts && opts !== before) server.setSecureContext(opts);
  }

  private reload(): SecureContextOptions | undefined {
    let id: string;
    try {
      id = `${identity(this.files.certFile)}|${identity(this.files.keyFile)}`;
    } catch (err) {
      this.fail(`TLS files: ${(err as Error).message}`);
      return this.current;
    }
    if (id === this.seen && this.current) return this.current;
    try {
      const opts = { cert: readCapped(this.files.certFile), key: readCapped(this.files.keyFile) };
      process.getBuiltinModule('node:tls').createSecureContext(opts); // throws on a key that does not match the certificate
      this.seen = id;
      this.current = opts;
      this.loads++;
      if (this.loads > 1) this.log(`serving certificate reloaded from ${this.files.certFile}`);
      this.lastError = undefined;
      return opts;
    } catch (err) {
      // Node's messages name the problem (e.g. "key values mismatch"), never the key's bytes.
      this.fail(
        `TLS files ${this.files.certFile}, ${this.files.keyFile}: ${(err as Error).message}`,
      );
      return this.current;
    }
  }

  private fail(message: string): void {
    if (message !== this.lastError) this.log(`${message}; keeping the certificate in service`);
    this.lastError = message;
  }
}

/** Runs `tls.refresh` before the handshake of every new connection (before tls.Server's own listener). */
export function reloadBeforeHandshake(server: Server, tls: ServingTls): void {
  server.prependListener('connection', () => {
    tls.refresh(server);
  });
}
