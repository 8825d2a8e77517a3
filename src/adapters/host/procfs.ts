// The node's processes as /proc shows them (with hostPID in a pod, the node's /proc): start
// times, mount namespaces, mountinfo, and files as a process sees them through /proc/<pid>/root.
// Failures are values; a process that exits mid-scan becomes `process_gone`.

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import { parseMountinfo, type MountEntry } from './mountinfo.js';
import { errorText, reasonOfOsError } from './os-reason.js';
import type { ProcResult, ProcessInfo, RawFile } from '../../node/ports.js';
export type { ProcResult, ProcessInfo, RawFile } from '../../node/ports.js';

/** Linux reports start times in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

function fail<T>(err: unknown, what: string): ProcResult<T> {
  return { ok: false, reason: reasonOfOsError(err), message: `${what}: ${errorText(err)}` };
}

export class ProcFs {
  private bootMs: number | undefined;

  constructor(readonly procRoot = '/proc') {}

  private bootTimeMs(): number {
    if (this.bootMs === undefined) {
      const m = /^btime (\d+)$/m.exec(readFileSync(`${this.procRoot}/stat`, 'utf8'));
      this.bootMs = m ? Number(m[1]) * 1000 : 0;
    }
    return this.bootMs;
  }

  /**
   * A process in the node's mount namespace: PID 1, or this process when PID 1's namespace links
   * cannot be read (sandboxed hosts whose init is protected; certdrift then runs beside the
   * runtime in the node's namespace, as on a plain VM).
   */
  nodePid(): number {
    try {
      readlinkSync(`${this.procRoot}/1/ns/mnt`);
      return 1;
    } catch {
      return process.pid;
    }
  }

  pids(): number[] {
    return readdirSync(this.procRoot)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** A process is gone when its /proc directory is; distinguishes that from other errors. */
  private alive(pid: number): boolean {
    try {
      readlinkSync(`${this.procRoot}/${pid}/exe`);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }

  private wrap<T>(pid: number, what: string, fn: () => T): ProcResult<T> {
    try {
      return { ok: true, value: fn() };
    } catch (err) {
      const res = fail<T>(err, what);
      if (!res.ok && res.reason === 'not_found' && !this.alive(pid)) {
        return {
          ok: false,
          reason: 'process_gone',
          message: `process ${pid} exited during the scan (${what})`,
        };
      }
      return res;
    }
  }

  process(pid: number): ProcResult<ProcessInfo> {
    return this.wrap(pid, `/proc/${pid}`, () => {
      const stat = readFileSync(`${this.procRoot}/${pid}/stat`, 'utf8');
      // comm is in parentheses and may itself contain ") ": split at the last one.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const rest = stat.slice(close + 2).split(' ');
      const startTicks = Number(rest[19]);
      const cmdline = readFileSync(`${this.procRoot}/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((s) => s !== '');
      return {
        pid,
        ppid: Number(rest[1]),
        comm,
        cmdline,
        startedAt: new Date(this.bootTimeMs() + (startTicks * 1000) / CLOCK_TICKS),
        mountNs: readlinkSync(`${this.procRoot}/${pid}/ns/mnt`),
      };
    });
  }

  mountinfo(pid: number): ProcResult<MountEntry[]> {
    return this.wrap(
      pid,
      `/proc/${pid}/mountinfo`,
      () => parseMountinfo(readFileSync(`${this.procRoot}/${pid}/mountinfo`, 'utf8')).mounts,
    );
  }

  cgroup(pid: number): ProcResult<string> {
    return this.wrap(pid, `/proc/${pid}/cgroup`, () =>
      readFileSync(`${this.procRoot}/${pid}/cgroup`, 'utf8'),
    );
  }

  /** Reads a file as the process sees it (its mount namespace and root), capped. */
  readAs(pid: number, path: string, maxBytes: number): ProcResult<RawFile> {
    return this.wrap(pid, `/proc/${pid}/root${path}`, () =>
      readCapped(`${this.procRoot}/${pid}/root${path}`, maxBytes),
    );
  }
}

/**
 * Reads a real path with its identity (dev, inode, times), capped at maxBytes. Throws. `noFollow`
 * refuses a symbolic link in the last component (for canonical in-root paths).
 */
export function readCapped(real: string, maxBytes: number, noFollow = false): RawFile {
  const fd = openSync(
    real,
    constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0),
  );
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw Object.assign(new Error(`${real} is not a regular file`), { code: 'EISDIR' });
    if (st.size > maxBytes)
      throw Object.assign(new Error(`${real} is ${st.size} bytes, over ${maxBytes}`), {
        code: 'EFBIG',
      });
    const bytes = Buffer.alloc(st.size);
    let n = 0;
    while (n < bytes.length) {
      const r = readSync(fd, bytes, n, bytes.length - n, n);
      if (r === 0) break;
      n += r;
    }
    const data = bytes.subarray(0, n);
    return {
      dev: st.dev,
      ino: st.ino,
      size: st.size,
      mtime: st.mtime,
      ctime: st.ctime,
      sha256: createHash('sha256').update(data).digest('hex'),
      bytes: data,
    };
  } finally {
    closeSync(fd);
  }
}
