// Which proxy a request goes through, as Go's http.ProxyFromEnvironment decides it (client-go's
// default): HTTPS_PROXY (or https_proxy) for https URLs unless NO_PROXY matches the host — an
// exact name, a domain suffix (`.example.com` or `example.com`), an IP, an IPv4 CIDR, or `*`.
// Only http:// proxies are supported (tunnelled with CONNECT).

function ipv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((a, p) => a * 256 + p, 0);
}

function noProxyMatches(host: string, port: string, entry: string): boolean {
  let e = entry.trim().toLowerCase();
  if (e === '') return false;
  if (e === '*') return true;
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(e);
  if (cidr) {
    const net = ipv4(cidr[1] ?? '');
    const ip = ipv4(host);
    const bits = Number(cidr[2]);
    if (net === null || ip === null || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(ip / size) === Math.floor(net / size);
  }
  const withPort = /^(.*):(\d+)$/.exec(e);
  if (withPort && !e.includes(']')) {
    if (withPort[2] !== port) return false;
    e = withPort[1] ?? '';
  }
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (e.startsWith('.')) return h.endsWith(e) || h === e.slice(1);
  return h === e || h.endsWith(`.${e}`);
}

export function proxyFromEnv(
  server: string,
  env: Record<string, string | undefined>,
): string | undefined {
  const url = new URL(server);
  if (url.protocol !== 'https:') return undefined;
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (!proxy) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  const port = url.port || '443';
  if (noProxy.split(',').some((e) => noProxyMatches(url.hostname, port, e))) return undefined;
  return proxy;
}

/** Rejects proxies we cannot speak to, with a clear message (never a silent direct connection). */
export function checkProxy(proxy: string): string {
  let u: URL;
  try {
    u = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
  } catch {
    throw new Error(`proxy ${JSON.stringify(proxy)} is not a URL`);
  }
  if (u.protocol !== 'http:')
    throw new Error(
      `proxy ${u.protocol}// is not supported (only http:// proxies, tunnelled with CONNECT)`,
    );
  return u.href;
}
