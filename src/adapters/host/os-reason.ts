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
