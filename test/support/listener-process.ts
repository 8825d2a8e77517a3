// A process that listens under a component's name (argv[0] = kube-scheduler, etcd, …): what the
// served-certificate probe requires before it dials a port. TCP or TLS on `count` ports from
// `first` (0: one ephemeral port), counting connections; answers 'stats' over IPC.

import { spawn, type ChildProcess } from 'node:child_process';

const LISTENER = `
const [kind, host, first, count] = process.argv.slice(1, 5);
const mod = require(kind === 'tls' ? 'node:tls' : 'node:net');
let open = 0, max = 0, total = 0;
const onConn = (s) => {
  open++; total++; max = Math.max(max, open);
  // A connection stops counting when either side ends it: at our destroy (synchronously, before
  // the client can see it and dial again) or at the client's close, whichever comes first.
  let counted = true;
  const done = () => { if (counted) { counted = false; open--; } };
  s.on('error', () => {});
  s.on('close', done);
  if (kind !== 'tls') setTimeout(() => { done(); s.destroy(); }, 100);
};
const ports = [];
for (let p = +first; p < +first + +count; p++) {
  const srv = kind === 'tls'
    ? mod.createServer({ cert: process.env.CERT, key: process.env.KEY })
    : mod.createServer();
  srv.on('connection', onConn); // TCP connections, before any handshake
  srv.listen(p, host, () => {
    ports.push(srv.address().port);
    if (ports.length === +count) process.send({ ports });
  });
}
process.on('message', () => process.send({ maxConcurrent: max, total }));
`;

export interface ListenerProcess {
  child: ChildProcess;
  /** the ports it listens on */
  ports: number[];
  stats: () => Promise<{ maxConcurrent: number; total: number }>;
  stop: () => void;
}

export function startListener(opts: {
  argv0: string;
  kind: 'tcp' | 'tls';
  host: string;
  first?: number;
  count?: number;
  flags?: string[];
  cert?: { pem: string; keyPem: string };
}): Promise<ListenerProcess> {
  const c = spawn(
    process.execPath,
    [
      '-e',
      LISTENER,
      opts.kind,
      opts.host,
      String(opts.first ?? 0),
      String(opts.count ?? 1),
      ...(opts.flags ?? []),
    ],
    {
      argv0: opts.argv0,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CERT: opts.cert?.pem ?? '', KEY: opts.cert?.keyPem ?? '' },
    },
  );
  return new Promise((resolve, reject) => {
    c.once('error', reject);
    c.once('message', (m) => {
      resolve({
        child: c,
        ports: (m as { ports: number[] }).ports,
        stats: () =>
          new Promise((r) => {
            c.once('message', (s) => {
              r(s as { maxConcurrent: number; total: number });
            });
            c.send('stats');
          }),
        stop: () => c.kill('SIGKILL'),
      });
    });
  });
}
