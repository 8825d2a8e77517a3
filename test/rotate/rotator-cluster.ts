// The API emulation as the in-cluster rotator meets it: RBAC and CRDs from deploy/base plus the
// rendered deploy/rotator with the actuator components an operator chose, and clients that
// authenticate as the ServiceAccount the rotator's Deployment names — its token file and CA as a
// pod sees them, never an administrator. An admin token is only for the test playing the other
// actors (kops replacing a node, a pod becoming Ready).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterConnection } from '../../src/adapters/kube/connect.js';
import { HttpCluster } from '../../src/adapters/kube/http-cluster.js';
import { KubeApi } from '../../src/adapters/kube/kube-api.js';
import { RotateClient } from '../../src/adapters/kube/rotate-client.js';
import {
  KubeEmulator,
  MACHINE_CRD,
  NODECLAIM_CRD,
  renderDeploy,
  renderOverlay,
  type Manifest,
} from '../support/kube-emulator/index.js';

export type Component = 'drain' | 'delete-node' | 'force' | 'capi' | 'karpenter';

/** deploy/rotator with the given actuator components, rendered as an overlay */
export function rotatorManifests(components: readonly Component[]): Manifest[] {
  return renderOverlay(
    ['rotator'],
    components.map((c) => `rotator/actuators/${c}`),
  );
}

/** the ServiceAccount the rendered Deployment runs as */
export function rotatorAccount(manifests: Manifest[]): { namespace: string; name: string } {
  const d = manifests.find(
    (m) => m.kind === 'Deployment' && m.metadata.name === 'certdrift-rotator',
  );
  if (!d) throw new Error('deploy/rotator renders no certdrift-rotator Deployment');
  const spec = d.spec as { template: { spec: { serviceAccountName: string } } };
  return { namespace: d.metadata.namespace ?? '', name: spec.template.spec.serviceAccountName };
}

export interface RotatorLab {
  emu: KubeEmulator;
  manifests: Manifest[];
  admin: string;
  /**
   * a RotateClient with the rotator's ServiceAccount token (its own token file and user agent),
   * valid `ttlSeconds` of the emulation's time
   */
  client(userAgent?: string, ttlSeconds?: number): RotateClient;
}

export async function startRotatorCluster(
  components: readonly Component[],
  rotator: Manifest[] = rotatorManifests(components),
): Promise<RotatorLab> {
  const emu = new KubeEmulator({ manifests: [...renderDeploy('base'), ...rotator] });
  emu.addCrds([MACHINE_CRD, NODECLAIM_CRD]);
  await emu.start();
  const sa = rotatorAccount(rotator);
  const port = new URL(emu.url).port;
  return {
    emu,
    manifests: rotator,
    admin: emu.adminToken(),
    client: (userAgent = 'certdrift/test', ttlSeconds = 86_400) => {
      const dir = mkdtempSync(join(tmpdir(), 'certdrift-rotator-sa-'));
      writeFileSync(join(dir, 'ca.crt'), emu.ca.pem);
      emu.tokens.rotate(join(dir, 'token'), sa.namespace, sa.name, ttlSeconds);
      const conn = inClusterConnection(
        { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port },
        { dir },
      );
      if (!conn) throw new Error('no in-cluster connection');
      const api = new KubeApi(conn, { userAgent, sleep: () => Promise.resolve() });
      return new RotateClient(new HttpCluster(api), userAgent);
    },
  };
}
