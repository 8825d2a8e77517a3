// One HTTPS exchange with the API server: TLS set up from the connection (CA re-read each time,
// tls-server-name, explicit insecure opt-out, client certificate), an optional CONNECT tunnel
// through an HTTP proxy, an idle timeout, and a body that must arrive whole: a response cut
// before its Content-Length is a network error, never half a JSON document.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { AuthMaterial } from './credentials.js';
import type { Connection } from './connection.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A failure before a complete response arrived (refused, reset, timed out, truncated). */
export class NetworkError extends Error {}

function tlsOptions(conn: Connection, auth: AuthMaterial, url: URL): ConnectionOptions {
  const name =
    conn.tlsServerName ?? (isIP(url.hostname.replace(/^\[|\]$/g, '')) ? undefined : url.hostname);
  return {
    ...(conn.ca ? { ca: conn.ca() } : {}),
    rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
    ...(name ? { servername: name } : {}),
    ...(conn.tlsServerName
      ? {
          checkServerIdentity: (_h: string, cert) =>
            checkServerIdentity(conn.tlsServerName ?? '', cert),
        }
      : {}),
    ...(auth.cert && auth.key ? { cert: auth.cert, key: auth.key } : {}),
  };
}

/** Opens a CONNECT tunnel to url's host:port through an HTTP proxy. */
function tunnel(proxy: string, url: URL, timeoutMs: number): Promise<Socket> {
  const p = new URL(proxy);
  const target = `${url.hostname}:${url.port || '443'}`;
  return new Promise((resolve, reject) => {
    const auth = p.username
      ? {
          'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`,
        }
      : {};
    const req = httpRequest({
      host: p.hostname,
      port: p.port || 80,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...auth },
      timeout: timeoutMs,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(
          new NetworkError(`proxy ${p.host} refused CONNECT ${target}: ${res.statusCode ?? 0}`),
        );
      }
    });
    req.on('timeout', () => req.destroy(new Error(`proxy ${p.host} timed out`)));
    req.on('error', (e) => {
      reject(new NetworkError(`proxy ${p.host}: ${e.message}`));
    });
    req.end();
  });
}

export async function exchange(
  conn: Connection,
  auth: AuthMaterial,
  method: string,
  url: URL,
  headers: Record<string, string | number>,
  payload?: Buffer,
): Promise<RawResponse> {
  const timeoutMs = conn.timeoutMs ?? 10_000;
  const tls = tlsOptions(conn, auth, url);
  let createConnection: RequestOptions['createConnection'];
  if (conn.proxy && url.protocol === 'https:') {
    const socket = await tunnel(conn.proxy, url, timeoutMs);
    createConnection = () => tlsConnect({ ...tls, socket });
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (msg: string): void => {
      reject(new NetworkError(msg));
    };
    const req = send(
      url,
      {
        method,
        headers,
        timeout: timeoutMs,
        agent: false,
        ...tls,
        ...(createConnection ? { createConnection } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('aborted', () => {
          fail('response truncated (connection closed mid-body)');
        });
        res.on('error', (e) => {
          fail(`response: ${e.message}`);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const declared = Number(res.headers['content-length'] ?? NaN);
          if (!Number.isNaN(declared) && body.length !== declared) {
            fail(`response truncated (${body.length} of ${declared} bytes)`);
            return;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      fail(e.message);
    });
    req.end(payload);
  });
}
