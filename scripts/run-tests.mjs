// Runs every *.test.ts under src/ and test/ with node's test runner and tsx.
// Node 20 does not expand globs for --test, so the file list is built here.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...tests],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
