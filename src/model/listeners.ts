// Listening TCP sockets as /proc/<pid>/net/tcp and tcp6 list them, and the addresses they are
// bound to. Pure. The served-certificate probe dials only what such a socket is bound to (see
// choose-dials.ts): a command line can name any address, a listening socket of this node cannot.
// Addresses are compared by a canonical text form (ipKey): IPv4 dotted, IPv6 as 8 hex groups
// without compression; an IPv4-mapped IPv6 address is its IPv4 address.

export interface Listener {
  /** canonical address (ipKey form) */
  address: string;
  port: number;
  /** the socket's inode, as in /proc/<pid>/fd links `socket:[inode]` */
  inode: string;
}

/** TCP state 0A is LISTEN (include/net/tcp_states.h). */
const LISTEN = '0A';

function hexBytes(word: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < word.length; i += 2) bytes.push(parseInt(word.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

function fromBytes(b: readonly number[]): string | undefined {
  if (b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
  if (b.length === 4) return b.join('.');
  if (b.length !== 16) return undefined;
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 255 && b[11] === 255;
  if (mapped) return b.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/**
 * The LISTEN sockets of one /proc/<pid>/net/tcp (`family` 4) or tcp6 (6) text. The kernel prints
 * each 32-bit word of the address in the host's byte order, hence `littleEndian`. Lines that do
 * not parse are skipped: the file is the kernel's, but a test or a future kernel may differ.
 */
export function parseProcNetTcp(text: string, family: 4 | 6, littleEndian: boolean): Listener[] {
  const out: Listener[] = [];
  const hexLen = family === 4 ? 8 : 32;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (f[3] !== LISTEN || !local || f[9] === undefined) continue;
    const [addr, portHex] = local.split(':');
    if (addr?.length !== hexLen || !/^[0-9A-Fa-f]+$/.test(addr) || !portHex) continue;
    const bytes: number[] = [];
    for (let w = 0; w < hexLen; w += 8) bytes.push(...hexBytes(addr.slice(w, w + 8), littleEndian));
    const address = fromBytes(bytes);
    const port = parseInt(portHex, 16);
    if (address === undefined || !(port > 0 && port < 65536) || !/^\d+$/.test(f[9])) continue;
    out.push({ address, port, inode: f[9] });
  }
  return out;
}

function v4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  const b = parts.map(Number);
  return b.every((x) => x <= 255) ? b : undefined;
}

/**
 * The canonical form of an IP address literal (brackets and a zone id allowed), or undefined
 * when `text` is not one — a host name is never an address here, and is never resolved.
 */
export function ipKey(text: string): string | undefined {
  const s = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!s.includes(':')) {
    const b = v4Bytes(s);
    return b && fromBytes(b);
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  const [head = '', tail] = s.split('::');
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, p] of pieces.entries()) {
      if (i === pieces.length - 1 && p.includes('.')) {
        const b = v4Bytes(p);
        if (!b) return undefined;
        out.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  if (!h || !t) return undefined;
  const fill = 8 - h.length - t.length;
  if (tail === undefined ? fill !== 0 : fill < 1) return undefined;
  const all = [...h, ...new Array<number>(fill).fill(0), ...t];
  return fromBytes(all.flatMap((w) => [w >> 8, w & 255]));
}

export const WILDCARD_V4 = '0.0.0.0';
export const WILDCARD_V6 = '0:0:0:0:0:0:0:0';
export const LOOPBACK_V6 = '0:0:0:0:0:0:0:1';

export const isLoopback = (key: string): boolean => key === LOOPBACK_V6 || key.startsWith('127.');
