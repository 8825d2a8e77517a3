// Names that say a certificate file was replaced and kept only as history: kubelet's rotated
// `kubelet-client-<YYYY-MM-DD-HH-MM-SS>.pem` (its certificate store never deletes them; only the
// file `*-current.pem` names is in use), admins' backups (`*.bak`, `*.old`, `*.orig`, `*~`,
// `pki.bak*/` directories, `backup/` directories), and k3s/RKE2 `server/tls-<unix time>/` copies
// made by `certificate rotate`. Pure. A name alone never makes a file superseded: the caller
// also requires that nothing uses it.

const ROTATED = /(^|\/)kubelet-(client|server)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.pem$/;
const BACKUP_FILE =
  /(\.(bak|old|orig|backup|save|dpkg-old|dpkg-dist|rpmsave|rpmnew)(\.[^/]*|-[^/]*)?|~)$/i;
const BACKUP_DIR =
  /^(.*\.(bak|old|orig|backup)([-.][^/]*)?|backups?|old|pki[-._]?bak.*|.*-backup(-[^/]*)?)$/i;
const RANCHER_TLS_COPY = /\/var\/lib\/rancher\/(k3s|rke2)\/server\/tls-\d{9,}\//;

/** Why the path looks superseded, or undefined. `links` are the in-root links that lead to it. */
export function supersededByName(path: string, links: readonly string[]): string | undefined {
  if (ROTATED.test(path) && !links.some((l) => l.endsWith('-current.pem')))
    return 'a rotated kubelet certificate no *-current.pem link names any more';
  if (RANCHER_TLS_COPY.test(path)) return 'a k3s/RKE2 tls-<time> copy left by certificate rotate';
  const parts = path.split('/').filter((s) => s !== '');
  const base = parts.pop() ?? '';
  if (BACKUP_FILE.test(base)) return 'a backup copy (by its name)';
  if (parts.some((d) => BACKUP_DIR.test(d))) return 'inside a backup directory';
  return undefined;
}
