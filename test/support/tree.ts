// Temp-dir host roots: write files (creating directories), symlinks, and clean up.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class HostTree {
  readonly root: string;
  constructor(prefix = 'certdrift-host-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
  }
  /** Writes `content` at in-root path `p`; returns the absolute path. */
  write(p: string, content: string | Uint8Array, mode = 0o644): string {
    const abs = join(this.root, p);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content, { mode });
    return abs;
  }
  link(p: string, target: string): void {
    const abs = join(this.root, p);
    mkdirSync(dirname(abs), { recursive: true });
    symlinkSync(target, abs);
  }
  mkdir(p: string): void {
    mkdirSync(join(this.root, p), { recursive: true });
  }
  abs(p: string): string {
    return join(this.root, p);
  }
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
