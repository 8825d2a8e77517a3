// Runs the file scan in-process against a host tree, and the real CLI as a child process.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNodeFiles } from '../../src/adapters/host/index.js';
import type { FileScanConfig } from '../../src/node/sources/files.js';
import { scanNode } from '../../src/node/scan-node.js';
import type { Inventory } from '../../src/model/index.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${REPO}bin/certdrift.js`;

/** scanNode over a host tree without the container view: files, kubeconfig refs and usage. */
export function scanTree(root: string, over: Partial<FileScanConfig> = {}): Promise<Inventory> {
  return scanNode(
    { files: openNodeFiles(root), workloads: null },
    {
      presets: 'auto',
      paths: [],
      excludes: [],
      maxFileSize: 4 * 1024 * 1024,
      maxEntries: 100_000,
      loadsOnce: ['kube-proxy', 'kube-scheduler', 'kube-controller-manager'],
      ...over,
    },
  );
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npm run build` first; the test gate does). */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; input?: string; via?: string[] } = {},
): CliResult {
  const [cmd, ...pre] = opts.via ?? [process.execPath];
  const argv = opts.via ? [...pre, process.execPath, BIN, ...args] : [BIN, ...args];
  const res = spawnSync(cmd ?? process.execPath, argv, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Runs the built CLI without blocking this process (for tests whose own servers — a control
 * plane, a lab — must keep answering while the CLI talks to them).
 */
export function runCliAsync(
  args: string[],
  opts: { env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...opts.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({
        status: status ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/**
 * Runs the built CLI as another user (root only). The checkout may sit where that user cannot
 * read (e.g. under /root), so the CLI (dist/, bin/, package.json) is copied to a temp dir first.
 */
export function runCliAs(uid: number, args: string[]): CliResult & { cleanup: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certdrift-cli-'));
  chmodSync(dir, 0o755);
  for (const part of ['dist', 'bin', 'package.json'])
    cpSync(`${REPO}${part}`, join(dir, part), { recursive: true });
  const res = spawnSync(process.execPath, [join(dir, 'bin/certdrift.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    uid,
    gid: uid,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, cleanup: dir };
}
