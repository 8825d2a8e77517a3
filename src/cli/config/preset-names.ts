// Preset names known to config validation (kept in step with host/presets.ts by a test).
export const PRESET_NAMES = [
  'kops',
  'kubeadm',
  'k3s',
  'rke2',
  'eks',
  'gke',
  'aks',
  'talos',
  'generic',
] as const;
