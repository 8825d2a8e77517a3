// What `certdrift renew --apply` needs from the machine, owned here so the session stays pure: the
// node's files (facts to plan on, bytes and keys to sign with, refused when they changed since the
// plan), the journal of a run (backed up and staged before anything is written, finished after an
// interruption), the node as scan sees it, the container runtime (stop a consumer, see its next
// attempt), the action log, the clock and a source of serial numbers. adapters/host implements
// the files and the journal; cli composes the rest and hands it in.

import type { KeyObject } from 'node:crypto';
import type { Clock } from '../model/clock.js';
import type { Inventory } from '../model/index.js';
import type { RuntimeContainer } from '../node/ports.js';
import type { FileFacts } from './plan-kubeadm.js';
import type { FileWrite } from './renewed-files.js';

export interface RenewFiles {
  /** each path's state; certificates with their bytes, keys without */
  readAll(paths: { certs: readonly string[]; keys: readonly string[] }): Map<string, FileFacts>;
  /** a file's bytes; throws when its SHA-256 is no longer `sha256` (when given) */
  readPlanned(nodePath: string, sha256: string | undefined): Uint8Array;
  /** a private key file as a KeyObject, refused the same way */
  readPrivateKey(nodePath: string, sha256?: string): KeyObject;
}

/** One file of a run, as the journal reports it when written. */
export interface JournaledWrite {
  path: string;
  before: { sha256: string };
  after: { sha256: string };
}

export interface JournaledRun {
  readonly dir: string;
  readonly entries: readonly { path: string }[];
  /** writes every staged file that is not new yet; `already` lists those that were */
  commit(now: Date, onWrite: (e: JournaledWrite) => void): { written: string[]; already: string[] };
}

export interface RenewJournal {
  /** runs an interruption left prepared or half written */
  unfinished(): JournaledRun[];
  /** backs up and stages `writes`, refusing when a file is not what was planned; nothing written */
  prepare(
    writes: readonly FileWrite[],
    planned: Readonly<Record<string, string>>,
    now: Date,
  ): JournaledRun;
}

/** The runtime calls a restart needs. */
export interface ConsumerControl {
  stop(containerId: string, graceSeconds: number): Promise<void>;
  listContainers(): Promise<RuntimeContainer[]>;
  close(): void;
}

export interface RenewEdges {
  files: RenewFiles;
  journal: RenewJournal;
  /** the node as scan sees it; with `probeServed` the endpoints are dialled too */
  inspect(opts: { probeServed: boolean }): Promise<Inventory>;
  /** connects to the container runtime; throws when there is none */
  containers(deadlineMs: number): Promise<ConsumerControl>;
  /** appends one entry to the action log */
  log(entry: object): void;
  clock: Clock;
  /** a fresh serial number: positive, below 2^63, as kubeadm's */
  newSerial(): Uint8Array;
}
