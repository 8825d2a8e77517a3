// Raw HTTPS to the test control plane, as the admin (client certificate) or with a bearer token:
// for test set-up and for reading what the real server answers, apart from certdrift's client.

import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

export interface Credential {
  ca: string;
  /** client certificate and key files, or a bearer token */
  cert?: string;
  key?: string;
  token?: string;
}

const fileCache = new Map<string, string>();
const read = (path: string): string => {
  let v = fileCache.get(path);
  if (v === undefined) {
    v = readFileSync(path, 'utf8');
    fileCache.set(path, v);
  }
  return v;
};

export function apiRequest(
  base: string,
  cred: Credential,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const payload =
    body === undefined
      ? undefined
      : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(base + path),
      {
        method,
        ca: cred.ca,
        ...(cred.cert && cred.key ? { cert: read(cred.cert), key: read(cred.key) } : {}),
        agent: false,
        timeout: 30_000,
        headers: {
          accept: 'application/json',
          ...(cred.token ? { authorization: `Bearer ${cred.token}` } : {}),
          ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            const v: unknown = text ? JSON.parse(text) : {};
            if (v && typeof v === 'object') parsed = v as Record<string, unknown>;
          } catch {
            parsed = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function adminRequest(
  base: string,
  admin: { ca: string; cert: string; key: string },
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
): Promise<Reply> {
  return apiRequest(base, admin, method, path, body, contentType);
}
