// Runs the test control plane for one test run (scripts/run-tests.mjs starts it before the test
// files and stops it after them): `serve.ts KIT INFO_FILE` starts it, writes its connection
// details to INFO_FILE, and stops it, removing everything, when stdin closes or on SIGTERM.

import { writeFileSync } from 'node:fs';
import { startControlPlane } from './start.js';

const [kit, infoFile] = process.argv.slice(2);
if (!kit || !infoFile) {
  process.stderr.write('usage: serve.ts KIT INFO_FILE\n');
  process.exit(2);
}
const started = Date.now();
const cp = await startControlPlane(kit);
writeFileSync(infoFile, JSON.stringify(cp.info, null, 2));
process.stderr.write(
  `control plane: kube-apiserver ${cp.info.version} at ${cp.info.url}, ready in ${Date.now() - started} ms\n`,
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  cp.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`control plane: stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
