// The lab's directory is the lab's alone: `lab up` takes a directory only when it is new or
// empty, and leaves a marker file there; `lab down` deletes only the entries the lab makes (by
// name) and the directory itself only when the lab created it. A mistyped `--dir /etc` or
// `--dir ~` is refused instead of being wiped on `lab down`.

import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAB_MARKER = '.certdrift-lab';

/** Everything the lab (containerd, the image, the pods, the lab command) writes in its directory. */
const LAB_ENTRIES = [
  'lab.json',
  'pods.json',
  'host',
  'image',
  'cni',
  'config.toml',
  'containerd.log',
  'containerd.pid',
  'containerd.sock',
  'containerd.sock.ttrpc',
  'logs',
  'root',
  'state',
  'opt',
  'runc',
  // the lab's CA and client certificates (kube-proxy.ts), ca.key included: left behind, they made
  // the directory foreign to the next `lab up` and kept a private key on disk
  'pki',
  LAB_MARKER,
];

/** Takes `dir` for a lab; returns whether the lab created it. Throws for a foreign non-empty dir. */
export function claimLabDir(dir: string): boolean {
  const existed = existsSync(dir);
  if (existed) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(LAB_MARKER))
      throw new Error(
        `${dir} is not empty and was not made by certdrift lab (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); ` +
          'choose a new or empty directory: `lab down` deletes what the lab puts there',
      );
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  writeFileSync(join(dir, LAB_MARKER), 'created by certdrift lab up; removed by lab down\n');
  return !existed;
}

/** Removes what the lab put in `dir`, and `dir` too when the lab created it and nothing else is left. */
export function releaseLabDir(dir: string, createdDir: boolean): void {
  if (!existsSync(join(dir, LAB_MARKER))) return; // not a lab directory: touch nothing
  for (const name of LAB_ENTRIES) rmSync(join(dir, name), { recursive: true, force: true });
  if (createdDir && readdirSync(dir).length === 0) rmdirSync(dir);
}
