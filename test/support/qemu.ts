// Running arm64 binaries on this amd64 machine: Debian's qemu-user-static, the user-mode emulator
// (`qemu-aarch64-static -L <root>` finds the arm64 loader and libraries under <root>). No binfmt
// registration is needed: the emulator is called by name.

import type { TestContext } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';

export const QEMU_AARCH64 = 'qemu-aarch64-static';

/** Why arm64 binaries cannot run here, or null when they can. */
export function qemuUnavailable(): string | null {
  const r = spawnSync(QEMU_AARCH64, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : `no ${QEMU_AARCH64} (apt-get install qemu-user-static)`;
}

/**
 * Skips (off CI) or fails (CI=true: .ci/run installs what is needed) when `why` is a reason.
 * Returns true when the test can go on.
 */
export function requireOrSkip(t: TestContext, why: string | null): boolean {
  if (why === null) return true;
  if (process.env.CI === 'true') throw new Error(`cannot run in CI: ${why}`);
  t.skip(why);
  return false;
}

/** Runs an arm64 executable under qemu, its libraries from `root` (null: a static binary). */
export function runArm64(
  exe: string,
  args: string[],
  opts: { root?: string; cwd?: string; timeoutMs?: number } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(QEMU_AARCH64, [...(opts.root ? ['-L', opts.root] : []), exe, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 16 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An ELF file's machine (e_machine): 62 is x86-64, 183 is AArch64. */
export function elfMachine(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(20);
    readSync(fd, b, 0, 20, 0);
    if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
    return b.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

/** Extracts one member of a tar file, as bytes. */
export function tarMember(tar: string, member: string): Buffer {
  return execFileSync('tar', ['-xOf', tar, member], { maxBuffer: 1 << 30 });
}

/** Extracts a tar member that is itself a tar (an image layer) into `dir`. */
export function extractNestedTar(tar: string, member: string, dir: string): void {
  execFileSync('bash', ['-c', 'tar -xOf "$1" "$2" | tar -xf - -C "$3"', '_', tar, member, dir]);
}
