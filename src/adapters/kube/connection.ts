// Everything needed to reach one API server: where (the server URL, its path prefix kept), how
// to trust it (a CA re-read when rotated, or an explicit insecure opt-out; the name to verify),
// through which proxy, and as whom (a renewable credential source).

import type { Credentials } from './credentials.js';

export interface Connection {
  /** https://host:port[/path/prefix] — a prefix (Rancher's /k8s/clusters/ID) is kept */
  server: string;
  /** the CA bundle to trust, re-read on each connection setup (rotation); undefined: system CAs */
  ca?: () => Buffer;
  /** kubeconfig `insecure-skip-tls-verify: true`: no verification at all (explicit opt-in) */
  insecureSkipTlsVerify?: boolean;
  /** kubeconfig `tls-server-name`: the name to send (SNI) and verify instead of the URL's host */
  tlsServerName?: string;
  /** an HTTP proxy tunnelled with CONNECT (kubeconfig proxy-url, else HTTPS_PROXY) */
  proxy?: string;
  credentials: Credentials;
  timeoutMs?: number;
}
