// Dials a local TLS endpoint and returns the leaf certificate it presents, mapped to our own
// CertSummary (the DER goes through certs/, like every certificate certdrift reads). No client
// certificate is offered and verification is off on purpose: we want whatever the server shows,
// expired or self-signed, and we never send credentials. SNI is sent only for names (TLS forbids
// IP literals in SNI; Go servers then serve their default certificate, which is what we compare).
// Every failure is a value, with a short timeout: a probe never hangs a scan.

import { isIP } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';
import { parseCertificateDer } from '../../certs/index.js';
import type { CertSummary, ServedProblem } from '../../model/index.js';

export interface ProbeTarget {
  host: string;
  port: number;
  /** SNI server name; default: the host when it is a name */
  servername?: string;
  timeoutMs: number;
}

export type ProbeResult =
  | { ok: true; der: Uint8Array; cert: CertSummary }
  | { ok: false; reason: ServedProblem; message: string };

export function probeServedCertificate(t: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const name = t.servername ?? (isIP(t.host) === 0 ? t.host : undefined);
    const where = `${t.host}:${t.port}`;
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({
      host: t.host,
      port: t.port,
      rejectUnauthorized: false,
      ...(name ? { servername: name } : {}),
      // a server that demands a client certificate still shows its own first (TLS 1.3)
      minVersion: 'TLSv1.2',
    });
    const timer = setTimeout(() => {
      finish({
        ok: false,
        reason: 'timeout',
        message: `${where}: no TLS handshake within ${t.timeoutMs} ms`,
      });
    }, t.timeoutMs);
    socket.once('secureConnect', () => {
      // an empty object when the server sent none: typed as its fields being optional
      const peer: Partial<PeerCertificate> = socket.getPeerCertificate(false);
      finish(presented(peer.raw, where));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish(socketFailure(err, where));
    });
  });
}

/** The leaf the server presented (raw DER, maybe none), read through certs/. */
export function presented(raw: Buffer | undefined, where: string): ProbeResult {
  if (!raw || raw.length === 0)
    return {
      ok: false,
      reason: 'no_certificate',
      message: `${where}: the server presented no certificate`,
    };
  const der = new Uint8Array(raw);
  const parsed = parseCertificateDer(der);
  if (!parsed.ok)
    return { ok: false, reason: 'no_certificate', message: `${where}: ${parsed.message}` };
  const f = parsed.facts;
  return {
    ok: true,
    der,
    cert: {
      subject: f.subject,
      serial: f.serial,
      notBefore: f.notBefore,
      notAfter: f.notAfter,
      fingerprintSha256: f.fingerprintSha256,
      isCA: f.isCA,
    },
  };
}

/** A socket error as a probe result: nothing listening (connect_failed) or a failed handshake. */
export function socketFailure(err: NodeJS.ErrnoException, where: string): ProbeResult {
  const refused = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
  return {
    ok: false,
    reason: refused.includes(err.code ?? '') ? 'connect_failed' : 'tls_failed',
    message: `${where}: ${err.message}`,
  };
}
