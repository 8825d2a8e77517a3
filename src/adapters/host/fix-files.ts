// The manifests `certdrift fix` reads and rewrites, under --host-root: the fix room's
// ManifestFiles port (fix/ports.ts) over manifest-host (where manifests are, links resolved inside
// the host root) and safe-write (snapshot, backup, atomic write). Also the action log's file.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileState, ManifestFiles, ManifestSnapshot } from '../../fix/ports.js';
import { findManifests, listNodeDir, staticPodDirs } from './manifest-host.js';
import { snapshot, writeAtomically } from './safe-write.js';

/** safe-write keeps Buffers; a snapshot handed back through the port may hold any Uint8Array. */
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function hostManifestFiles(hostRoot: string): ManifestFiles {
  return {
    staticPodDirs: () => staticPodDirs(hostRoot),
    find: (paths) => findManifests(hostRoot, paths),
    listDir: (dir) => listNodeDir(hostRoot, dir),
    read: (path): ManifestSnapshot => snapshot(path),
    write: (snap, bytes, opts) =>
      writeAtomically({ ...snap, bytes: asBuffer(snap.bytes) }, bytes, opts),
    stat: (path): FileState => {
      const st = statSync(path);
      return {
        sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
        bytes: st.size,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
      };
    },
  };
}

/** Appends `entry` as one JSON line to `file`, creating its directory. */
export function appendJsonLine(file: string, entry: object): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, JSON.stringify(entry) + '\n');
}
