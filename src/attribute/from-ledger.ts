// A ledger → what it tells about certificates: the node's files now and before (superseded),
// containers' views, and — what no single scan can say — the serial a load-once process holds
// because it started before its file was replaced.

import type { Ledger, LedgerEntry, LedgerLocation } from '../ledger/types.js';
import { keyIdsOf, normaliseSerial, type Knowledge, type KnownCertificate } from './knowledge.js';

function currentFile(ledger: Ledger, path: string): Set<string> {
  const out = new Set<string>();
  for (const l of ledger.locations)
    if (l.kind === 'file' && l.path === path)
      for (const e of l.entries) if (e.lastSeen === ledger.updatedAt) out.add(e.fingerprintSha256);
  return out;
}

function who(l: LedgerLocation): string {
  const w = l.workload;
  return w ? `${w.name} (${w.id.startsWith('pid:') ? w.id : w.id.slice(0, 13)})` : l.component;
}

/** What every known certificate from one ledger entry shares, wherever it lives. */
type EntryBase = Omit<KnownCertificate, 'residence' | 'location' | 'workload' | 'cause'>;

/** In a node file now, or in its history (superseded: whoever presents it never reloaded). */
function fileKnown(
  base: EntryBase,
  l: LedgerLocation,
  e: LedgerEntry,
  isCurrent: boolean,
): KnownCertificate {
  if (isCurrent) return { ...base, residence: 'file', location: l.path };
  return {
    ...base,
    residence: 'file-history',
    location: `${l.path} (seen ${e.firstSeen} – ${e.lastSeen})`,
    cause: {
      code: 'superseded',
      text: `This certificate was in ${l.path} until about ${e.lastSeen}; the file has been replaced since. Whoever presents it loaded it before the replacement and never reloaded it.`,
      remedy: `Restart the ${l.component} component that reads ${l.path} so it loads the current certificate; if it runs in a container with a single-file mount, recreate the container and mount the directory.`,
    },
  };
}

/** What a container sees; stale when it is current and the node's file holds something else. */
function containerViewKnown(
  base: EntryBase,
  l: LedgerLocation,
  e: LedgerEntry,
  stale: boolean,
): KnownCertificate {
  return {
    ...base,
    residence: 'container-view',
    location: `${who(l)} sees ${l.path} (seen ${e.firstSeen} – ${e.lastSeen})`,
    ...(l.workload ? { workload: l.workload.id } : {}),
    ...(stale
      ? {
          cause: {
            code: l.workload?.mountKind === 'file' ? 'stale-single-file-mount' : 'stale-view',
            text:
              l.workload?.mountKind === 'file'
                ? `Single-file bind mount of ${l.path}: the node replaced the file by rename and the container still reads the old inode.`
                : `The container's view of ${l.path} differs from the node's file.`,
            remedy: `Recreate the container (\`crictl stop ${l.workload?.id.slice(0, 13) ?? '<id>'}\`; kubelet starts a new attempt), then mount the directory instead of the file (kops ≥ 1.36).`,
          },
        }
      : {}),
  };
}

/** What a process loaded once; not reloaded when it is current and the file changed since. */
function processMemoryKnown(
  base: EntryBase,
  l: LedgerLocation,
  e: LedgerEntry,
  stale: boolean,
): KnownCertificate {
  const started = l.workload?.startedAt;
  return {
    ...base,
    residence: 'process-memory',
    location: `${who(l)} loaded ${l.path}${started ? ` at start (${started})` : ''}; ${e.basis ?? `seen ${e.firstSeen} – ${e.lastSeen}`}`,
    ...(l.workload ? { workload: l.workload.id } : {}),
    ...(stale
      ? {
          cause: {
            code: 'not-reloaded',
            text: `${l.component} started${started ? ` ${started}` : ''}, before ${l.path} was replaced, and loads its certificate once (an embedded kubeconfig certificate is never reloaded): it still presents serial ${e.serial}.`,
            remedy: `Restart ${l.component} so it loads the current certificate (${l.workload && !l.workload.id.startsWith('pid:') ? `\`crictl stop ${l.workload.id.slice(0, 13)}\`: kubelet starts a new attempt` : '`systemctl restart` for a host service'}); one node at a time.`,
          },
        }
      : {}),
  };
}

function known(
  ledger: Ledger,
  l: LedgerLocation,
  e: LedgerEntry,
  source: string,
): KnownCertificate | undefined {
  const serialHex = normaliseSerial(e.serial);
  if (serialHex === '') return undefined;
  const isCurrent = e.lastSeen === ledger.updatedAt;
  const onDisk = currentFile(ledger, l.path);
  const differs = onDisk.size > 0 && !onDisk.has(e.fingerprintSha256);
  const base: EntryBase = {
    node: ledger.node,
    serialHex,
    fingerprintSha256: e.fingerprintSha256,
    subject: e.subject,
    notAfter: new Date(e.notAfter),
    ...keyIdsOf(e),
    component: l.component,
    seenAt: new Date(e.lastSeen),
    source,
  };
  if (l.kind === 'file') return fileKnown(base, l, e, isCurrent);
  if (l.kind === 'container-view') return containerViewKnown(base, l, e, isCurrent && differs);
  return processMemoryKnown(base, l, e, isCurrent && differs);
}

export function knowledgeFromLedger(ledger: Ledger, source: string): Knowledge {
  const out: KnownCertificate[] = [];
  for (const l of ledger.locations)
    for (const e of l.entries) {
      const k = known(ledger, l, e, source);
      if (k) out.push(k);
    }
  return { known: out, problems: [] };
}
