// The npm package as a user gets it: `npm pack`, the tarball installed into an EMPTY directory
// (its dependencies from the registry, nothing from this checkout), and its `certdrift scan`
// pointed at the lab's real containerd, which it must reach through the CRI (the .proto file it
// loads at run time used to be left out of the package: ENOENT …/proto/cri-runtime-v1.proto).
// The tarball holds the compiled CLI, its docs, proto, LICENSE and README, and no tests, no
// TypeScript sources and no path of the machine that packed it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeProxyPod, writeKubeProxyKubeconfig } from '../../src/lab/kube-proxy.js';
import { requireRuntime, startLab } from '../support/lab.js';
import { REPO } from '../support/scan.js';

interface PackInfo {
  filename: string;
  files: { path: string }[];
}

/** Every file under `dir`, relative. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

test('the packed CLI, installed into an empty directory, scans the lab containerd through the CRI', async (t) => {
  if (!requireRuntime(t)) return;
  assert.ok(
    existsSync(join(REPO, 'dist/cli/main.js')),
    'dist/ is not built: `npm test` builds it before the tests (or run `npm run build`)',
  );
  const work = mkdtempSync(join(tmpdir(), 'certdrift-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // dist/ as `npm test` just built it (no second build here: --ignore-scripts skips prepare)
  const pack = spawnSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: REPO, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as PackInfo[];
  assert.ok(info);
  const files = info.files.map((f) => f.path);
  for (const need of [
    'package.json',
    'LICENSE',
    'README.md',
    'bin/certdrift.js',
    'dist/cli/main.js',
    'dist/adapters/runtime/cri-connection.js',
    'proto/cri-runtime-v1.proto',
    'docs/scan-schema.md',
  ])
    assert.ok(files.includes(need), `${need} is in the package`);
  assert.deepEqual(
    files.filter((f) => /(^|\/)test\/|\.test\.[cm]?[jt]s$|\.[cm]?ts$|\.tsbuildinfo$/.test(f)),
    [],
    'no tests and no TypeScript sources',
  );
  assert.ok(
    readFileSync(join(REPO, 'LICENSE'), 'utf8').includes(
      'Apache License\n                           Version 2.0, January 2004',
    ),
  );

  // no absolute path of this machine in any packed file
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  const tar = spawnSync('tar', ['-xzf', join(work, info.filename), '-C', unpacked], {
    encoding: 'utf8',
  });
  assert.equal(tar.status, 0, tar.stderr);
  // (a path where one starts: after a space, quote, `=`, `:`, `(` or `,`; `/proc/<pid>/root` does
  // not name root's home)
  const machinePaths = [REPO.replace(/\/$/, ''), homedir(), work]
    .filter((p) => p.length > 1)
    .map(
      (p) =>
        new RegExp(`(?<=^|[\\s'"\`=:(,])${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-])`),
    );
  const packed = walk(join(unpacked, 'package'));
  assert.equal(packed.length, files.length, 'the tarball holds what npm pack listed');
  for (const f of packed) {
    const text = readFileSync(join(unpacked, 'package', f), 'latin1');
    for (const p of machinePaths) assert.doesNotMatch(text, p, `${f} names a path of this machine`);
  }

  // installed from the tarball into an empty directory: dependencies from the registry only
  const app = join(work, 'app');
  mkdirSync(app);
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', join(work, info.filename)],
    { cwd: app, encoding: 'utf8', timeout: 600_000 },
  );
  assert.equal(install.status, 0, `npm install of the tarball: ${install.stderr}`);
  const cli = join(app, 'node_modules/.bin/certdrift');
  assert.ok(existsSync(cli));
  const version = spawnSync(cli, ['--version'], { cwd: app, encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /0\.\d+\.\d+/);

  // the lab: kube-proxy with its kubeconfig mounted as a single file, then the node rotates the
  // file by rename (kops #16400): only the CRI's view of the container shows the stale copy
  const lab = await startLab();
  t.after(() => lab.down());
  const dir = join(lab.hostDir, 'packed');
  mkdirSync(dir, { recursive: true });
  writeKubeProxyKubeconfig(dir, 5, 0x501);
  const c = await lab.runPod({ ...kubeProxyPod(dir, 'file'), name: 'kp-packed' });
  writeKubeProxyKubeconfig(dir, 400, 0x502);

  const scan = spawnSync(
    cli,
    [
      'scan',
      '--runtime-endpoint',
      lab.socket,
      '--preset',
      'none',
      '--path',
      `${dir}/**`,
      '--no-probe',
      '-o',
      'json',
    ],
    { cwd: app, encoding: 'utf8', timeout: 120_000 },
  );
  assert.doesNotMatch(scan.stderr, /ENOENT|cri-runtime-v1\.proto/);
  const report = JSON.parse(scan.stdout) as {
    summary: { exitCode: number };
    sources: { source: string; up: boolean; endpoint?: string }[];
    workloads: { id: string; pod?: { name: string } }[];
    findings: { code: string; evidence: Record<string, string> }[];
  };
  assert.equal(scan.status, report.summary.exitCode);
  assert.equal(scan.status, 2, 'a stale view is critical');
  const cri = report.sources.find((s) => s.source === 'cri');
  assert.ok(cri, JSON.stringify(report.sources));
  assert.equal(cri.up, true, JSON.stringify(cri));
  assert.equal(cri.endpoint?.replace(/^unix:\/\//, ''), lab.socket);
  assert.equal(report.workloads.find((w) => w.id === c.containerId)?.pod?.name, 'kp-packed');
  const stale = report.findings.find(
    (f) => f.code === 'STALE_VIEW' && JSON.stringify(f.evidence).includes(dir),
  );
  assert.ok(stale, JSON.stringify(report.findings.map((f) => f.code)));
  assert.match(stale.evidence.inContainer ?? '', /^serial 0501, not after /);
  assert.match(stale.evidence.onNode ?? '', /^serial 0502, not after /);
});
