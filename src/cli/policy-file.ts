// The replacement policy file (YAML) shared by `certdrift plan` and `certdrift rotate`: read,
// validated, every problem reported with its line; no file means the built-in defaults.

import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY, type PlanPolicy } from '../fleet/plan-policy.js';
import { OperationalError } from './errors.js';

export async function loadPolicy(path: string | undefined): Promise<PlanPolicy> {
  if (path === undefined) return DEFAULT_POLICY;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OperationalError(
      `--policy ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const { readPolicy, formatPolicyProblem } = await import('../fleet/read-policy.js');
  const { policy, problems } = readPolicy(text);
  if (problems.length > 0)
    throw new OperationalError(`invalid policy ${path}:`, {
      details: problems.map((p) => `  ${formatPolicyProblem(path, p)}`),
    });
  return policy;
}
