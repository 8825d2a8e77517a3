// The container view of a node, in certdrift's own terms. CRI messages and /proc details are
// mapped to these inside runtime/ and never leak out.

import type { DeclaredPropagation, WorkloadState } from '../model/index.js';

export interface DeclaredMount {
  containerPath: string;
  /** the node path the runtime mounted (CRI host_path) */
  hostPath: string;
  readonly: boolean;
  declared?: DeclaredPropagation;
}

export interface RuntimeContainer {
  id: string;
  podSandboxId: string;
  pod: { namespace: string; name: string; uid: string };
  name: string;
  attempt: number;
  state: WorkloadState;
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** main process, for running containers */
  pid?: number;
  mounts: DeclaredMount[];
}

export interface ContainerRuntime {
  /** `cri` or `proc` */
  readonly source: string;
  readonly endpoint: string;
  /** every container the runtime knows, exited ones included */
  listContainers(): Promise<RuntimeContainer[]>;
  close(): void;
}
