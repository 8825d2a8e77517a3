// The ledger of a 10,000-certificate node (the benchmark node's layout, bench/node-tree.ts) at
// its largest: every certificate replaced at every scan until each location holds the five
// entries the ledger keeps, with key identifiers, and running containers seeing and holding a
// few of them. Built by the real updateLedger, scan after scan, from hand-built inventories.

import type { Certificate, Inventory } from '../../src/model/index.js';
import type { Ledger } from '../../src/ledger/types.js';
import { updateLedger } from '../../src/ledger/update-ledger.js';
import { cert, inventory } from './inventory.js';
import { compare, container, fileView, mount } from './workloads.js';

const hex = (n: number, bytes: number): string =>
  Array.from({ length: bytes }, (_, i) => ((n * 31 + i * 17) % 256).toString(16).padStart(2, '0'))
    .join(':')
    .toUpperCase();

function scan(n: number, round: number, containers: number): Inventory {
  const certs: Certificate[] = [];
  for (let i = 0; i < n; i++) {
    const serial = (0x100000 * (round + 1) + i).toString(16).toUpperCase();
    const path = `/var/lib/bench/d${String(i % 100).padStart(2, '0')}/leaf-${i}.crt`;
    certs.push(
      cert({
        path,
        serial: serial.length % 2 ? `0${serial}` : serial,
        fingerprintSha256: `${String(round)}${i.toString(16)}`.padEnd(64, 'f'),
        subject: `O=system:nodes, CN=system:node:bench-${i}`,
        component: i % 50 === 0 ? 'kubelet-client' : 'other',
        notAfter: new Date(Date.UTC(2027, 0, 1 + (i % 900))),
        subjectKeyId: hex(i + round, 20),
        authorityKeyId: hex(7, 20),
      }),
    );
  }
  const inv = inventory(certs);
  inv.workloads = Array.from({ length: containers }, (_, k) =>
    container({
      id: k.toString(16).padStart(64, '0'),
      name: `app-${k}`,
      pod: { namespace: 'kube-system', name: `app-${k}-node`, uid: `u${k}` },
      component: 'kube-proxy',
      startedAt: new Date('2026-11-01T00:00:00Z'),
      mounts: [
        mount({
          hostPath: `/var/lib/app-${k}/kubeconfig`,
          kind: 'file',
          files: [
            {
              ...compare(
                fileView({ serial: `B${String(round)}`, sha256: 'b'.repeat(64) }),
                fileView({ serial: 'A0', sha256: 'a'.repeat(64) }),
              ),
              hostPath: `/var/lib/app-${k}/kubeconfig`,
            },
          ],
        }),
      ],
    }),
  );
  return inv;
}

/** `n` certificates, each replaced `rounds` times a day apart; `containers` running. */
export function bigLedger(n = 10_000, rounds = 5, containers = 50): Ledger {
  let ledger: Ledger | null = null;
  for (let r = 0; r < rounds; r++)
    ledger = updateLedger(
      ledger,
      scan(n, r, containers),
      'bench-node',
      new Date(Date.UTC(2026, 10, 20 + r)),
    );
  if (!ledger) throw new Error('no rounds');
  return ledger;
}
