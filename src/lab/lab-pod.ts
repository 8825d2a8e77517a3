// The kube-proxy pod `certdrift lab` runs, as remembered between invocations (<dir>/pods.json),
// and what its kubeconfig's client certificate is, for the side-by-side display.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificateFile } from '../certs/index.js';
import type { MountStyle } from './kube-proxy.js';
import type { LabContainer, LabPodSpec } from './lab.js';

export interface PodRecord {
  spec: LabPodSpec;
  container: LabContainer;
  style: MountStyle;
  serial: number;
}

/**
 * The lab cannot run here or is not there: the CLI reports it as an operational error (exit 3),
 * without a stack trace.
 */
export class LabUnavailable extends Error {
  override name = 'LabUnavailable';
}

function podsFile(dir: string): string {
  return join(dir, 'pods.json');
}

export function loadPod(dir: string): PodRecord {
  if (!existsSync(podsFile(dir)))
    throw new LabUnavailable(`no lab in ${dir} (certdrift lab up --dir ${dir})`);
  return JSON.parse(readFileSync(podsFile(dir), 'utf8')) as PodRecord;
}

export function savePod(dir: string, rec: PodRecord): void {
  writeFileSync(podsFile(dir), JSON.stringify(rec, null, 2));
}

/** The client certificate in a kubeconfig's bytes: serial and not-after, for side-by-side display. */
export function clientCert(bytes: Buffer | null): string {
  if (!bytes) return 'unreadable';
  const c = parseCertificateFile(bytes, { expectCertificates: true }).certs.find(
    (x) => !x.facts.isCA,
  );
  return c
    ? `serial ${c.facts.serial}, not after ${c.facts.notAfter.toISOString()}`
    : 'no client certificate';
}

/** A file's bytes, or null when it cannot be read (the container is gone, the file moved). */
export function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}
