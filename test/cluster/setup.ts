// A cluster for the client tests: the API emulation (RBAC from the rendered deploy/base), a
// node, and the agent's service account as a pod sees it — a projected token file kubelet
// rotates and the cluster CA — so the client is tested the way it runs in the DaemonSet.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import type { Connection } from '../../src/adapters/kube/connection.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi, type KubeApiOptions } from '../../src/adapters/kube/kube-api.js';
import { haveKubectl, KubeEmulator, type EmulatorOptions } from '../support/kube-emulator/index.js';

export const TOKEN_TTL = 3600;

export interface ClusterLab {
  emu: KubeEmulator;
  /** the pod's /var/run/secrets/kubernetes.io/serviceaccount */
  saDir: string;
  /** kubelet rewrites the token file with a fresh token; returns it */
  rotate(ttlSeconds?: number): string;
  /** the in-cluster connection the agent builds (KUBERNETES_SERVICE_HOST/PORT, token, CA) */
  connection(now?: () => number): Connection;
  client(opts?: Partial<KubeApiOptions>, now?: () => number): HttpCluster;
  sleeps: number[];
}

/** Skips (laptop) or fails (CI) when kubectl cannot render deploy/base. */
export function needKubectl(t: TestContext): boolean {
  if (haveKubectl()) return true;
  if (process.env.CI) throw new Error('kubectl is required under CI to render deploy/base');
  t.skip('kubectl is not installed (needed to render deploy/base for RBAC)');
  return false;
}

export async function startCluster(opts: EmulatorOptions = {}): Promise<ClusterLab> {
  const emu = new KubeEmulator(opts);
  await emu.start();
  emu.seed('', 'nodes', {
    metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
      ],
    },
  });
  const saDir = mkdtempSync(join(tmpdir(), 'certdrift-sa-'));
  writeFileSync(join(saDir, 'ca.crt'), emu.ca.pem);
  const rotate = (ttl = TOKEN_TTL): string =>
    emu.tokens.rotate(join(saDir, 'token'), 'certdrift', 'certdrift', ttl);
  rotate();
  const sleeps: number[] = [];
  const port = new URL(emu.url).port;
  const connection = (now?: () => number): Connection => {
    const c = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
      { dir: saDir, ...(now ? { now } : {}) },
    );
    if (!c) throw new Error('no in-cluster connection');
    return c;
  };
  return {
    emu,
    saDir,
    rotate,
    connection,
    sleeps,
    client: (o = {}, now) =>
      new HttpCluster(
        new KubeApi(connection(now), {
          userAgent: 'certdrift/test',
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
          ...o,
        }),
      ),
  };
}
