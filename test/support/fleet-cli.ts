// `certdrift fleet …` through the CLI's own entry point (src/cli/main.ts run: parsing, help,
// exit codes), in this process: no build needed, output captured.

import { Writable } from 'node:stream';
import { run } from '../../src/cli/main.js';

export async function runFleet(
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  const code = await run(['fleet', ...args], {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env: {},
  });
  return { code, out, err };
}
