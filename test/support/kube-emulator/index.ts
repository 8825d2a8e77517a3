// An in-process Kubernetes API server for tests, as strict as the real one where certdrift's
// calls meet it: RBAC from the shipped manifests, expiring service-account tokens, TLS, CRD
// schemas, optimistic concurrency, event TTLs, patch types, pagination and injected faults.
// Each file holds one rule and cites where kube-apiserver implements it.

export { KubeEmulator, type EmulatorOptions, type LoggedRequest } from './server.js';
export { tokenId } from './authn.js';
export { renderDeploy, renderOverlay, haveKubectl, type Manifest } from '../deploy-manifests.js';
export { type KObj, wholeSeconds } from './store.js';
export { type PolicyRule } from './rbac.js';
export { MACHINE_CRD, NODECLAIM_CRD } from './third-party-crds.js';
