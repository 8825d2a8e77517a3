// usage/: PURE — who uses each certificate (from flags, kubelet's config, kubeconfig references,
// *-current links and container mounts) and which files are superseded history.

export { CERT_FLAGS, fileFlags, splitWords, type FlagFile } from './cert-flags.js';
export {
  readKubeletConfigPaths,
  readKubeletRotation,
  readKubeletServing,
  type KubeletConfigPaths,
  type KubeletRotationFields,
  type KubeletServingFields,
} from './kubelet-config.js';
export { supersededByName } from './superseded.js';
export { applyUsage, type UsageFacts, type NamedFile, type UsageMemo } from './apply-usage.js';
