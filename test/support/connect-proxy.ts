// A real HTTP CONNECT proxy (as squid or a corporate proxy tunnels HTTPS): it records each
// tunnel's target and can demand Proxy-Authorization.

import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export class ConnectProxy {
  readonly tunnels: string[] = [];
  /** `user:password` the proxy demands, or undefined for none */
  credentials: string | undefined;
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  url = '';

  async start(): Promise<string> {
    this.server = createServer((_req, res) => {
      res.writeHead(405).end('CONNECT only');
    });
    this.server.on('connect', (req, client: Socket, head: Buffer) => {
      this.sockets.add(client);
      const target = req.url ?? '';
      const want = this.credentials
        ? `Basic ${Buffer.from(this.credentials).toString('base64')}`
        : undefined;
      if (want && req.headers['proxy-authorization'] !== want) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
        return;
      }
      this.tunnels.push(target);
      const [host, port] = [
        target.slice(0, target.lastIndexOf(':')),
        Number(target.slice(target.lastIndexOf(':') + 1)),
      ];
      const upstream = connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      const close = (): void => {
        upstream.destroy();
        client.destroy();
      };
      upstream.on('error', close);
      client.on('error', close);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}
