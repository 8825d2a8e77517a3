// The LISTEN sockets of chosen processes, from /proc: a process's socket inodes
// (/proc/<pid>/fd links `socket:[N]`) matched in its network namespace's /proc/<pid>/net/tcp and
// tcp6. Only processes in the prober's own network namespace count: a pod's loopback is not the
// node's, and dialling 127.0.0.1 from here would reach something else. Bounded: fds per process
// and bytes per table are capped; a process that exits or cannot be read has no listeners.

import { closeSync, constants, openSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import type { ListeningProcess } from '../../node/sources/choose-dials.js';
import { parseProcNetTcp, type Listener } from '../../model/listeners.js';

/** fds looked at per process: kube-apiserver holds a few thousand at most */
const MAX_FDS = 65_536;
/** bytes read of one /proc/<pid>/net/tcp{,6} (about 150 bytes a socket) */
const MAX_TABLE_BYTES = 32 * 1024 * 1024;

function readProcText(path: string, max: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0 || total >= max) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** A socket table; absent (no IPv6 in this kernel) is empty. */
function readTable(path: string): string {
  try {
    return readProcText(path, MAX_TABLE_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

function socketInodes(procRoot: string, pid: number): Set<string> {
  const out = new Set<string>();
  const dir = `${procRoot}/${pid}/fd`;
  const fds = readdirSync(dir).slice(0, MAX_FDS);
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
      if (m?.[1]) out.add(m[1]);
    } catch {
      // closed since the directory was listed
    }
  }
  return out;
}

/** This process's network namespace, as the node's /proc names it. */
function ownNetNs(procRoot: string): string | undefined {
  for (const p of [`${procRoot}/self/ns/net`, '/proc/self/ns/net'])
    try {
      return readlinkSync(p);
    } catch {
      // a /proc without self (a test tree): try the one this process sees
    }
  return undefined;
}

/**
 * The LISTEN sockets of each of `processes` (pid → component) that shares this process's network
 * namespace; the others are left out.
 */
export function readListeningProcesses(
  procRoot: string,
  processes: readonly { pid: number; component: string }[],
): ListeningProcess[] {
  const own = ownNetNs(procRoot);
  if (own === undefined) return [];
  const little = endianness() === 'LE';
  let tables: Listener[] | undefined;
  const out: ListeningProcess[] = [];
  for (const p of processes) {
    try {
      if (readlinkSync(`${procRoot}/${p.pid}/ns/net`) !== own) continue;
      const inodes = socketInodes(procRoot, p.pid);
      if (inodes.size === 0) continue;
      // one network namespace: its tables are read once, through the first process in it
      tables ??= [
        ...parseProcNetTcp(readTable(`${procRoot}/${p.pid}/net/tcp`), 4, little),
        ...parseProcNetTcp(readTable(`${procRoot}/${p.pid}/net/tcp6`), 6, little),
      ];
      const listeners = tables.filter((l) => inodes.has(l.inode));
      if (listeners.length > 0) out.push({ pid: p.pid, component: p.component, listeners });
    } catch {
      // exited, or not ours to read: it has no listener we may dial
    }
  }
  return out;
}

/** The addresses of this network namespace's interfaces (the node's, with hostNetwork). */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}
