// No command file imports another command file (CONTRIBUTING, Layout): what two commands share
// lives in src/cli/ (policy-file.ts, scan-options.ts), so loading one command never loads another.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('./commands/', import.meta.url));

test('no command file imports another command file', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const text = new Map(files.map((f) => [f, readFileSync(DIR + f, 'utf8')]));
  const commands = files.filter((f) => /:\s*CommandDef\s*=/.test(text.get(f) ?? ''));
  assert.ok(commands.includes('plan.ts') && commands.includes('rotate.ts'), commands.join(' '));
  const offenders: string[] = [];
  for (const f of files)
    for (const m of (text.get(f) ?? '').matchAll(/from '\.\/([\w-]+)\.js'/g)) {
      const target = `${m[1] ?? ''}.ts`;
      if (commands.includes(target)) offenders.push(`${f} imports ${target}`);
    }
  assert.deepEqual(offenders, []);
});
