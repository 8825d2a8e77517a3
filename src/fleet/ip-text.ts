// IP addresses as text in one canonical form, so an address from a CSR (read from its octets)
// and one from a Node's status.addresses (written by kubelet or a cloud provider, IPv6 possibly
// compressed) compare equal exactly when they are the same address.

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4(text: string): number[] | null {
  const m = V4.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

/**
 * `a.b.c.d`, or IPv6 as eight lower-case hex groups without leading zeros (`fd00:0:0:0:0:0:0:1`);
 * an IPv4-mapped IPv6 address stays IPv6. null when the text is not an address.
 */
export function canonicalIp(text: string): string | null {
  if (text.length > 64) return null;
  const four = v4(text);
  if (four) return four.join('.');
  if (!text.includes(':')) return null;
  let rest = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = rest.lastIndexOf(':');
  const embedded = v4(rest.slice(lastColon + 1));
  if (embedded) {
    tail.push(
      ((embedded[0] ?? 0) << 8) | (embedded[1] ?? 0),
      ((embedded[2] ?? 0) << 8) | (embedded[3] ?? 0),
    );
    rest = rest.slice(0, lastColon + 1) + '0:0'; // two groups' room, filled in below
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const back = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !back) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - back.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...back];
  } else groups = head;
  if (embedded) groups = [...groups.slice(0, -2), ...tail];
  if (groups.length !== 8) return null;
  return groups.map((g) => g.toString(16)).join(':');
}
