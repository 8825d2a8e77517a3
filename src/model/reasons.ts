// The stable list of item-error reason codes. Public contract: these strings appear in
// `-o json` output, in docs/reasons.md and (later) as a metric label. Add codes; never rename.

export const REASONS = {
  not_found: 'the path does not exist',
  permission_denied: 'the file or a directory on its path cannot be read by this user',
  read_error: 'reading failed for another operating-system reason',
  not_regular_file: 'the path is not a regular file (socket, device, fifo)',
  too_large: 'the file is larger than --max-file-size and was not read',
  empty: 'the file is empty',
  dangling_symlink: 'a symbolic link whose target does not exist',
  symlink_loop: 'a chain of symbolic links that loops or is too long',
  walk_limit: 'discovery stopped after --max-files entries under one pattern',
  pem_truncated: 'a PEM block has a BEGIN line and no matching END line',
  pem_bad_base64: 'a PEM block body is not valid base64',
  cert_parse_error: 'DER bytes that do not parse as an X.509 certificate',
  bad_time: 'a certificate whose notBefore or notAfter is not a real date (month 13, Feb 30)',
  unrecognized_format:
    'a file expected to hold certificates holds neither PEM, DER nor a kubeconfig',
  yaml_parse_error: 'a kubeconfig that is not valid YAML',
  kubeconfig_invalid:
    'a kubeconfig whose structure is wrong (clusters/users not lists, entries without names)',
  kubeconfig_bad_base64: 'a kubeconfig *-data field that is not valid base64',
  kubeconfig_ref_missing: 'a kubeconfig refers to a certificate file that cannot be read',
  process_gone: 'a process or container exited while it was being examined',
  container_view_unreadable: "a file could not be read through a process's /proc/<pid>/root",
  pkcs12_encrypted:
    'a PKCS#12 file whose certificates are encrypted with a password (certdrift guesses none)',
} as const;

export type Reason = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as readonly Reason[];
