// Whether a client accepts gzip, by RFC 9110 §12.5.3: a coding is acceptable unless its q-value
// is 0 (`gzip;q=0` means "never gzip"); `*` covers codings not named; no header means identity.

export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    for (const p of params) {
      // An unreadable q-value is taken as 0: when in doubt, send identity.
      if (/^q\s*=/i.test(p)) q = /^q\s*=\s*[0-9.]+$/i.test(p) ? Number(p.split('=')[1]) : 0;
    }
    if (!Number.isFinite(q)) q = 0;
    const coding = name.toLowerCase();
    if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip ?? 0, q);
    else if (coding === '*') star = q;
  }
  return (gzip ?? star ?? 0) > 0;
}
