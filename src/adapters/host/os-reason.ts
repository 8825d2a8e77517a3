// The one mapping from operating-system errors to item-error reasons, shared by every edge that
// reads the node (host files, /proc, drift reads), so the same failure always gets the same code.

import type { Reason } from '../../model/reasons.js';

export function reasonOfOsError(err: unknown): Reason {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'not_found';
    case 'EACCES':
    case 'EPERM':
      return 'permission_denied';
    case 'ELOOP':
      return 'symlink_loop';
    case 'EISDIR':
      return 'not_regular_file';
    case 'EFBIG':
      return 'too_large';
    case 'ESRCH':
      return 'process_gone';
    default:
      return 'read_error';
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An operating-system error in words for a table row: Node's message names the syscall and the
 * real path (`ENOENT: no such file or directory, lstat '/host/etc'`), which the row already says
 * better. Errors that are not the system's keep their message.
 */
export function plainOsError(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return errorText(err);
  }
}
