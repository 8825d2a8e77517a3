// How much manifest text any reader takes: audit's file reader (adapters/host/manifest-files.ts)
// and the node's static-pod reader (node/sources/static-pods.ts) share these bounds.

/** manifests read per command or scan; a node has a handful of static pods */
export const MAX_MANIFESTS = 1000;
/** bytes per manifest: a pod spec is a few kilobytes */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
