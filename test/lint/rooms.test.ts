// The rooms' import rules (eslint.config.js) reject what they exist to reject: a violation of each
// is planted as a real file in the room it breaks, linted with the project's own configuration,
// and must fail with the rule's message; the allowed form next to it must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO } from '../support/scan.js';

interface Plant {
  /** the room's folder, under src/ */
  dir: string;
  code: string;
  /** a fragment of the expected rule message; null: lints clean */
  error: string | null;
}

const PLANTS: Record<string, Plant> = {
  'a core imports an adapter': {
    dir: 'node',
    code: "import { ProcFs } from '../adapters/host/procfs.js';\nexport const p = new ProcFs();\n",
    error: 'never on an adapter',
  },
  'a core imports an adapter, even for a type': {
    dir: 'fleet',
    code: "import type { HostFiles } from '../adapters/host/host-files.js';\nexport type H = HostFiles;\n",
    error: 'never on an adapter',
  },
  'a core reads the clock': {
    dir: 'rotate',
    code: 'export const t = Date.now();\n',
    error: 'take `now` as a parameter',
  },
  'a core does I/O': {
    dir: 'fix',
    code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    error: 'pure folders do no I/O',
  },
  'the agent imports an adapter': {
    dir: 'agent',
    code: "import { openNodeFiles } from '../adapters/host/index.js';\nexport const o = openNodeFiles;\n",
    error: 'never on an adapter',
  },
  'an adapter imports another adapter': {
    dir: 'adapters/kube',
    code: "import { ProcFs } from '../host/procfs.js';\nexport const p = new ProcFs();\n",
    error: 'no adapter imports another',
  },
  'an adapter imports a value from a core': {
    dir: 'adapters/host',
    code: "import { groupOfNode } from '../../fleet/node-group.js';\nexport const g = groupOfNode;\n",
    error: 'only types (ports) from a core',
  },
  'an adapter imports a port type from a core': {
    dir: 'adapters/host',
    code: "import type { NodeFiles } from '../../node/ports.js';\nexport type F = NodeFiles;\n",
    error: null,
  },
  'a room imports cli': {
    dir: 'attribute',
    code: "import { OperationalError } from '../cli/errors.js';\nexport const u = OperationalError;\n",
    error: 'cli is the only composition root',
  },
};

const eslint = new ESLint({ cwd: REPO });

for (const [name, plant] of Object.entries(PLANTS)) {
  test(`lint: ${name} ${plant.error === null ? 'passes' : 'fails'}`, async () => {
    const file = join(REPO, 'src', plant.dir, `planted-violation-${process.pid}.ts`);
    writeFileSync(file, plant.code);
    try {
      const [result] = await eslint.lintFiles([file]);
      assert.ok(result);
      const messages = result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
      if (plant.error === null) assert.deepEqual(messages, []);
      else
        assert.ok(
          messages.some((m) => m.includes(plant.error ?? '')),
          `expected "${plant.error}", got ${JSON.stringify(messages)}`,
        );
    } finally {
      rmSync(file, { force: true });
    }
  });
}
