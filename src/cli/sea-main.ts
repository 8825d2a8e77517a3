// The single executable's entry point (`npm run sea`, scripts/build-sea.ts bundles it): the
// CLI exactly as bin/certdrift.js runs it, with the arguments after the executable's name.
//
// The agent forks its scan worker as `node [v8 flags] …/agent-scan-worker.js
// --certdrift-scan-worker` with an IPC channel (agent-scan-in-worker.ts). A single executable is
// its own node and runs only its bundle, whatever script is named: so a child started that way —
// the IPC channel only a fork has, the script and the worker argument — is the scan worker, from
// the same bundle. The V8 flags arrive as plain arguments and are not applied (the worker still
// runs; its young generation is V8's default).
import { isSea } from 'node:sea';
import { main } from './main.js';

const args = process.argv.slice(2);
const worker =
  isSea() &&
  process.send !== undefined &&
  args.some((a) => a.endsWith('/agent-scan-worker.js')) &&
  args.includes('--certdrift-scan-worker');
if (worker)
  void import('./agent-scan-worker.js').then((w) => {
    w.serveScanWorker();
  });
else void main(args);
