// `npm run sea` as a user receives it: one file per platform (Node.js single executable
// applications), nothing beside it, run from an empty directory; the same file as a kubectl
// plugin found on PATH by a real kubectl (built from k8s.io/kubectl, scripts/kubectl-binary.sh);
// the krew manifest checked against krew's documented rules and the archives it names.
// The arm64 binary runs under Debian's qemu-user-static with Debian's arm64 C runtime.
// One build serves every test here (and `npm run sea` reuses it while its inputs are the same).

import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { buildSea, SEA_ARCHITECTURES, type SeaBuild } from '../../scripts/build-sea.js';
import { debianArm64Root } from '../../scripts/build-image.js';
import { VERSION } from '../../src/cli/version.js';
import { buildKopsNode, NOW, type BuiltNode } from '../support/nodes.js';
import { elfMachine, qemuUnavailable, requireOrSkip, runArm64 } from '../support/qemu.js';
import { requireRuntime, runtimeUnavailable, startLab } from '../support/lab.js';
import { REPO, runCli } from '../support/scan.js';
import type { Lab } from '../../src/lab/lab.js';

let sea: SeaBuild | undefined;
let kops: BuiltNode | undefined;
let lab: Lab | undefined;
const work = mkdtempSync(join(tmpdir(), 'certdrift-sea-test-'));

before(async () => {
  sea = await buildSea();
  kops = await buildKopsNode();
  if (runtimeUnavailable() === null) lab = await startLab();
});
after(async () => {
  kops?.tree.remove();
  if (lab) await lab.down();
  rmSync(work, { recursive: true, force: true });
});

function built(): SeaBuild {
  assert.ok(sea, 'npm run sea built');
  return sea;
}

/** Runs `exe` from a new empty directory with nothing but a minimal PATH and HOME. */
function runAlone(
  exe: string,
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const cwd = mkdtempSync(join(work, 'empty-'));
  const r = spawnSync(exe, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: cwd, ...env },
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  assert.deepEqual(readdirSync(cwd), [], 'it wrote nothing where it ran');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fileScan = (root: string): string[] => [
  'scan',
  '--runtime-endpoint',
  'none',
  '--node-name',
  'sea-node',
  '--no-probe',
  '--host-root',
  root,
  '--at',
  NOW.toISOString(),
  '-o',
  'json',
];

test('the amd64 binary is one file: it runs --version and a file scan from an empty directory', () => {
  const b = built();
  const exe = b.binaries.amd64;
  assert.equal(elfMachine(exe), 62);
  const v = runAlone(exe, ['--version']);
  assert.equal(v.stderr, '');
  assert.equal(v.status, 0);
  assert.equal(v.stdout, `certdrift ${VERSION}\n`);
  // A binary is not a node: the NODE_OPTIONS of someone's own Node.js work (a --require of a
  // file not there, an inspector, a heap limit) must not reach it (SEA execArgvExtension none).
  for (const opts of ['--require /nonexistent/preload.js', '--max-old-space-size=1'])
    assert.deepEqual(
      runAlone(exe, ['--version'], { NODE_OPTIONS: opts }),
      { status: 0, stdout: `certdrift ${VERSION}\n`, stderr: '' },
      `NODE_OPTIONS=${opts}`,
    );
  assert.ok(kops);
  const scan = runAlone(exe, fileScan(kops.tree.root));
  assert.equal(scan.status, 0, scan.stderr);
  // The same document as the installed CLI (dist/ on this machine's node) writes.
  const reference = runCli(fileScan(kops.tree.root));
  assert.equal(reference.status, 0, reference.stderr);
  assert.equal(scan.stdout, reference.stdout);
  const doc = JSON.parse(scan.stdout) as { certificates: { path: string }[] };
  assert.equal(doc.certificates.length, kops.expected.length);
});

test('the binary reads the CRI proto from its own assets: a scan of a real containerd', async (t) => {
  if (!requireRuntime(t) || !lab) return;
  const b = built();
  assert.ok(kops);
  const args = [
    'scan',
    '--runtime-endpoint',
    lab.socket,
    '--node-name',
    'sea-node',
    '--no-probe',
    '--host-root',
    kops.tree.root,
    '--at',
    NOW.toISOString(),
    '-o',
    'json',
  ];
  // Both in a PID namespace of their own: the host's processes (other tests' control plane and
  // lab containers run beside this one) are not this tree's, and must not change the result.
  const alone = ['--pid', '--fork', '--mount-proc'];
  const scan = runAlone('unshare', [...alone, b.binaries.amd64, ...args]);
  const reference = runCli(args, { via: ['unshare', ...alone] });
  assert.equal(scan.stderr, '');
  assert.equal(scan.status, reference.status, reference.stderr);
  assert.equal(scan.status, 0, scan.stdout.slice(0, 3000));
  const sourcesOf = (out: string): unknown => (JSON.parse(out) as { sources: unknown }).sources;
  assert.deepEqual(sourcesOf(scan.stdout), [
    { source: 'files', up: true },
    { source: 'cri', endpoint: lab.socket, up: true },
  ]);
  // the same document, containers included, as the installed CLI writes
  assert.equal(scan.stdout, reference.stdout);
  await Promise.resolve();
});

test('the binary runs the agent, its scan worker forked from the same file', async () => {
  const b = built();
  assert.ok(kops);
  const port = 20_000 + (process.pid % 20_000);
  const agent = spawn(
    b.binaries.amd64,
    [
      'agent',
      '--host-root',
      kops.tree.root,
      '--runtime-endpoint',
      'none',
      '--node-name',
      'sea-node',
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { cwd: work, env: { PATH: '/usr/bin:/bin', HOME: work }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  agent.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: res.status, body: await res.text() };
      } catch {
        return { status: 0, body: '' };
      }
    };
    const deadline = Date.now() + 60_000;
    let ready = await get('/readyz');
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      ready = await get('/readyz');
    }
    assert.equal(ready.status, 200, `${ready.body}\n${log}`);
    const metrics = await get('/metrics');
    const series = metrics.body
      .split('\n')
      .filter((l) => l.startsWith('certdrift_certificate_not_after_seconds{'));
    assert.equal(series.length, kops.expected.length, log);
    assert.ok(series.every((l) => l.includes('node="sea-node"')));
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
});

test('the arm64 binary runs --version under qemu', (t) => {
  if (!requireOrSkip(t, qemuUnavailable())) return;
  const b = built();
  assert.equal(elfMachine(b.binaries.arm64), 183);
  const r = runArm64(b.binaries.arm64, ['--version'], { root: debianArm64Root(), cwd: work });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `certdrift ${VERSION}\n`);
});

/** kubectl built from its Go module: skipped off CI without Go, a failure under CI=true. */
function kubectl(t: TestContext): string | null {
  const script = join(REPO, 'scripts/kubectl-binary.sh');
  let r = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  if (r.status !== 0 && !spawnSync('go', ['version']).error)
    r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 30 * 60_000 });
  const why = r.status === 0 ? null : `no kubectl (bash scripts/kubectl-binary.sh needs Go 1.26)`;
  return requireOrSkip(t, why) ? r.stdout.trim() : null;
}

test('`kubectl certdrift` runs the plugin from PATH, as unpacked from its archive', (t) => {
  const kube = kubectl(t);
  if (!kube) return;
  const b = built();
  const plugins = mkdtempSync(join(work, 'plugins-'));
  execFileSync('tar', ['-xzf', join(REPO, '.build', b.archives.amd64.file), '-C', plugins]);
  assert.deepEqual(readdirSync(plugins).sort(), ['LICENSE', 'kubectl-certdrift']);
  assert.equal(statSync(join(plugins, 'kubectl-certdrift')).mode & 0o777, 0o755);
  assert.match(readFileSync(join(plugins, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  const env = { PATH: `${plugins}:/usr/bin:/bin` };
  const kv = runAlone(kube, ['version', '--client', '-o', 'json'], env);
  assert.equal(kv.status, 0, kv.stderr);
  assert.match(
    (JSON.parse(kv.stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion,
    /^v1\.36\./,
  );
  const list = runAlone(kube, ['plugin', 'list'], env);
  assert.match(list.stdout, new RegExp(`${plugins}/kubectl-certdrift`));
  const v = runAlone(kube, ['certdrift', '--version'], env);
  assert.equal(v.stderr, '');
  assert.equal(v.status, 0);
  assert.equal(v.stdout, `certdrift ${VERSION}\n`);
  // arguments pass through kubectl untouched
  assert.ok(kops);
  const scan = runAlone(kube, ['certdrift', ...fileScan(kops.tree.root)], env);
  assert.equal(scan.status, 0, scan.stderr);
  assert.equal(
    (JSON.parse(scan.stdout) as { certificates: unknown[] }).certificates.length,
    kops.expected.length,
  );
});

/**
 * A krew plugin manifest, as krew documents it (krew.sigs.k8s.io/docs/developer-guide/
 * plugin-manifest) and validates it (sigs.k8s.io/krew internal/index/validation/validate.go:
 * apiVersion and kind, a safe name, a one-line short description, a `v`-prefixed semantic
 * version, at least one platform, each with uri, a lower-case hex sha256, bin, a selector on
 * os/arch only, and files with from and to).
 */
const KREW_PLUGIN_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'krew.googlecontainertools.github.com/v1alpha2' },
    kind: { const: 'Plugin' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' } },
    },
    spec: {
      type: 'object',
      required: ['version', 'shortDescription', 'platforms'],
      properties: {
        version: {
          type: 'string',
          pattern:
            '^v(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$',
        },
        homepage: { type: 'string', pattern: '^https://' },
        shortDescription: { type: 'string', minLength: 1, pattern: '^[^\\r\\n]+$' },
        description: { type: 'string' },
        caveats: { type: 'string' },
        platforms: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['selector', 'uri', 'sha256', 'bin'],
            additionalProperties: false,
            properties: {
              selector: {
                type: 'object',
                minProperties: 1,
                additionalProperties: false,
                properties: {
                  matchLabels: {
                    type: 'object',
                    minProperties: 1,
                    additionalProperties: false,
                    properties: { os: { type: 'string' }, arch: { type: 'string' } },
                  },
                  matchExpressions: {
                    type: 'array',
                    minItems: 1,
                    items: {
                      type: 'object',
                      required: ['key', 'operator'],
                      properties: { key: { enum: ['os', 'arch'] } },
                    },
                  },
                },
              },
              uri: { type: 'string', minLength: 1 },
              sha256: { type: 'string', pattern: '^[a-f0-9]{64}$' },
              bin: { type: 'string', minLength: 1 },
              files: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['from', 'to'],
                  properties: {
                    from: { type: 'string', minLength: 1 },
                    to: { type: 'string', minLength: 1 },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

interface KrewPlugin {
  metadata: { name: string };
  spec: {
    version: string;
    platforms: {
      selector: { matchLabels: { os: string; arch: string } };
      uri: string;
      sha256: string;
      bin: string;
      files: { from: string; to: string }[];
    }[];
  };
}

test('the krew manifest has krew’s shape, one platform per archive, and their sha256', () => {
  const b = built();
  const raw: unknown = parse(readFileSync(b.manifest, 'utf8'));
  // ajv is CommonJS: its default export is the class.
  const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(KREW_PLUGIN_SCHEMA);
  assert.ok(validate(raw), JSON.stringify(validate.errors));
  const manifest = raw as unknown as KrewPlugin;
  assert.ok(b.manifest.endsWith(`${manifest.metadata.name}.yaml`), 'named after the plugin');
  assert.equal(manifest.spec.version, `v${VERSION}`);
  assert.deepEqual(
    manifest.spec.platforms.map((p) => p.selector.matchLabels),
    SEA_ARCHITECTURES.map((arch) => ({ os: 'linux', arch })),
  );
  for (const [i, arch] of SEA_ARCHITECTURES.entries()) {
    const p = manifest.spec.platforms[i];
    assert.ok(p);
    const file = `kubectl-certdrift_linux_${arch}.tar.gz`;
    assert.ok(p.uri.endsWith(`/${file}`), p.uri);
    const bytes = readFileSync(join(REPO, '.build', file));
    assert.equal(p.sha256, createHash('sha256').update(bytes).digest('hex'));
    // what krew installs: `bin` is in the archive and every `from` matches a file of it
    const listed = execFileSync('tar', ['-tzf', join(REPO, '.build', file)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    assert.deepEqual(listed, ['LICENSE', 'kubectl-certdrift']);
    assert.ok(p.files.every((f) => listed.includes(f.from)));
    assert.ok(listed.includes(p.bin));
  }
  // the executables in the archives are the built ones, each for its architecture
  const unpacked = mkdtempSync(join(work, 'arm64-'));
  execFileSync('tar', ['-xzf', join(REPO, '.build', b.archives.arm64.file), '-C', unpacked]);
  assert.equal(elfMachine(join(unpacked, 'kubectl-certdrift')), 183);
  assert.deepEqual(
    readFileSync(join(unpacked, 'kubectl-certdrift')),
    readFileSync(b.binaries.arm64),
  );
});
