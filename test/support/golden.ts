// Golden files: compare output with test/golden/<name>; UPDATE_GOLDEN=1 rewrites them.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { REPO } from './scan.js';

export function assertGolden(name: string, actual: string): void {
  const path = `${REPO}test/golden/${name}`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI === 'true' && !existsSync(path))
      assert.fail(`golden file ${name} is missing (run UPDATE_GOLDEN=1 npm run test:unit)`);
    writeFileSync(path, actual);
    return;
  }
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `output differs from test/golden/${name} (UPDATE_GOLDEN=1 to accept)`,
  );
}
