// Runs every *.test.ts under src/ and test/ with node's test runner and tsx.
// Node 20 does not expand globs for --test, so the file list is built here.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
//
// When a selected test file uses the real control plane (test/support/control-plane), one is
// started for the whole run from the binaries scripts/kube-binaries.sh built, shared by the test
// files through CERTDRIFT_CONTROL_PLANE, and stopped (everything removed) at the end. Without the
// binaries those tests skip with the reason; under CI=true they fail.
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';

function findTests(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) findTests(p, out);
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const tests = files.length > 0 ? files : [...findTests('src', []), ...findTests('test', [])].sort();

// A test file needs the control plane when it, or a helper it imports (e.g. test/cluster/setup.ts),
// imports test/support/control-plane.
function usesControlPlane(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  if (text.includes('support/control-plane')) return true;
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].some((m) =>
    usesControlPlane(join(dirname(file), `${m[1]}.ts`), seen),
  );
}
const needsCluster = tests.some((f) => usesControlPlane(f));

async function startControlPlane() {
  let kit = spawnSync('bash', ['scripts/kube-binaries.sh', '--check'], { encoding: 'utf8' });
  if (kit.status !== 0 && !spawnSync('go', ['version']).error) {
    // First run on this machine: build them (about 8 minutes on 2 cores; cached after that).
    kit = spawnSync('bash', ['scripts/kube-binaries.sh'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }
  if (kit.status !== 0) {
    const why =
      'run-tests: no control-plane binaries (bash scripts/kube-binaries.sh needs Go 1.26)';
    if (process.env.CI) throw new Error(why);
    process.stderr.write(`${why}; the tests that need a cluster will skip\n`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-run-'));
  const infoFile = join(dir, 'control-plane.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/control-plane/serve.ts', kit.stdout.trim(), infoFile],
    { stdio: ['pipe', 'inherit', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 180_000;
  while (!existsSync(infoFile)) {
    if (child.exitCode !== null) throw new Error('run-tests: the control plane did not start');
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error('run-tests: the control plane did not start within 180 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    infoFile,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cp = needsCluster ? await startControlPlane() : undefined;
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...tests],
  {
    stdio: 'inherit',
    env: { ...process.env, ...(cp ? { CERTDRIFT_CONTROL_PLANE: cp.infoFile } : {}) },
  },
);
if (cp) await cp.stop();
process.exit(res.status ?? 1);
