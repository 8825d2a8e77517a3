// Whether certdrift may approve a kubelet-serving CSR: every rule must hold, else it stays
// Pending with the first rule that failed (certdrift never denies: a human may still approve).
// Only `kubernetes.io/kubelet-serving` is ever judged; client CSRs are not certdrift's to
// approve (kube-controller-manager's csrapproving controller does that for kubelets with the
// selfnodeclient permission).
//
// Sources compared (cited in README "Approving kubelet serving certificates"):
// - Kubernetes pkg/apis/certificates/helpers.go ValidateKubeletServingCSR: O exactly
//   [system:nodes], a DNS or IP SAN, no email or URI SAN, usages one of two exact sets, CN
//   prefixed `system:node:`. kube-controller-manager's signer (pkg/controller/certificates/signer)
//   marks an approved CSR that fails it Failed/SignerValidationFailure, so these rules keep an
//   approval from ending Failed.
// - postfinance/kubelet-csr-approver internal/controller/csr_controller.go and
//   regex_ip_checks.go: requestor prefixed `system:node:`, CN equal to the username, at least
//   one SAN, DNS names prefixed by the node name and matching a provider regex (and resolving
//   to the IP SANs), IP SANs inside allowed prefixes, expirationSeconds at most 367 days.
// Stricter here: the requestor's group, the Node must exist, exactly one CN and one O, no other
// GeneralName types, IP SANs must be the Node's own addresses and DNS SANs its own names (no
// DNS lookup: the Node object is the authority, DESIGN rule 13), usages by key type.

import type { CertificateRequestFacts } from '../certs/csr.js';
import { csrState } from './csr-state.js';
import { canonicalIp } from './ip-text.js';
import { KUBELET_SERVING, type CsrFacts, type FleetNodeFacts } from './types.js';

export type RefusalReason =
  | 'RequestorNotNode'
  | 'RequestorNotInNodesGroup'
  | 'NodeNotFound'
  | 'RequestUnreadable'
  | 'CommonNameMismatch'
  | 'OrganizationMismatch'
  | 'UsagesMismatch'
  | 'ForbiddenSanType'
  | 'NoSan'
  | 'IpSanNotOfNode'
  | 'DnsSanNotOfNode'
  | 'ExpirationTooLong';

export type ServingDecision =
  | { approve: true; node: string; message: string }
  | { approve: false; reason: RefusalReason; message: string };

export interface ServingPolicy {
  /** DNS SANs allowed besides the node's own names; each matches a whole name */
  dnsPatterns: readonly RegExp[];
  /** the longest spec.expirationSeconds approved */
  maxExpirationSeconds: number;
}

/** postfinance/kubelet-csr-approver's default and ceiling (internal/cmd/cmd.go): 367 days */
export const MAX_EXPIRATION_SECONDS = 367 * 86_400;
export const MAX_PATTERN_LENGTH = 256;
const MAX_DNS_NAME = 253;

/** An operator's `--serving-dns-pattern`, anchored to the whole name; null when unusable. */
export function compileDnsPattern(source: string): RegExp | null {
  if (source === '' || source.length > MAX_PATTERN_LENGTH) return null;
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    return null;
  }
}

const DS = 'digital signature';
const KE = 'key encipherment';
const SA = 'server auth';
// kubelet (pkg/kubelet/certificate/kubelet.go) asks for key encipherment with an RSA key only
// since 1.27; earlier kubelets asked for it with any key. The API's helpers accept both sets.
const WITH_KE = [DS, KE, SA].sort();
const WITHOUT_KE = [DS, SA].sort();

function usagesFit(
  usages: readonly string[],
  key: CertificateRequestFacts['keyAlgorithm'],
): boolean {
  const got = [...usages].sort();
  const same = (want: string[]): boolean =>
    got.length === want.length && got.every((u, i) => u === want[i]);
  return key === 'rsa' ? same(WITH_KE) : same(WITH_KE) || same(WITHOUT_KE);
}

const NODE_USER = /^system:node:(.+)$/;
const list = (xs: readonly string[]): string =>
  xs.length === 0 ? 'none' : xs.map((x) => JSON.stringify(x)).join(', ');

type Refusal = Extract<ServingDecision, { approve: false }>;

const refuse = (reason: RefusalReason, message: string): Refusal => ({
  approve: false,
  reason,
  message,
});

/** The requestor: a node identity in group system:nodes whose Node exists. */
function checkRequestor(
  csr: CsrFacts,
  nodes: ReadonlyMap<string, FleetNodeFacts>,
): Refusal | { name: string; node: FleetNodeFacts } {
  const name = NODE_USER.exec(csr.username)?.[1];
  if (name === undefined)
    return refuse(
      'RequestorNotNode',
      `requested by ${JSON.stringify(csr.username)}, not a node identity system:node:<name>`,
    );
  if (!csr.groups.includes('system:nodes'))
    return refuse(
      'RequestorNotInNodesGroup',
      `requestor ${JSON.stringify(csr.username)} is not in group system:nodes (groups: ${list(csr.groups)})`,
    );
  const node = nodes.get(name);
  if (!node) return refuse('NodeNotFound', `no Node ${JSON.stringify(name)} exists`);
  return { name, node };
}

/** The request's shape, as the API's helpers require it: CN, O, usages, SAN types, a SAN. */
function checkShape(csr: CsrFacts, req: CertificateRequestFacts, name: string): Refusal | null {
  const cn = `system:node:${name}`;
  if (req.commonNames.length !== 1 || req.commonNames[0] !== cn)
    return refuse(
      'CommonNameMismatch',
      `the request's CN is ${list(req.commonNames)}, expected exactly ${JSON.stringify(cn)}`,
    );
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes')
    return refuse(
      'OrganizationMismatch',
      `the request's O is ${list(req.organizations)}, expected exactly "system:nodes"`,
    );
  if (!usagesFit(csr.usages, req.keyAlgorithm))
    return refuse(
      'UsagesMismatch',
      `usages ${list(csr.usages)} for a ${req.keyAlgorithm} key; kubelet asks for ` +
        (req.keyAlgorithm === 'rsa' ? list(WITH_KE) : `${list(WITHOUT_KE)} (or with "${KE}")`),
    );
  if (req.emailAddresses.length + req.uris.length + req.otherNames > 0)
    return refuse(
      'ForbiddenSanType',
      `the request names ${req.emailAddresses.length} email, ${req.uris.length} URI and ` +
        `${req.otherNames} other alternative names; a kubelet asks for DNS and IP names only`,
    );
  if (req.dnsNames.length + req.ipAddresses.length === 0)
    return refuse('NoSan', 'the request names no DNS name or IP address');
  return null;
}

/**
 * Every IP SAN is one of the Node's addresses, every DNS SAN one of its names (or matched by an
 * operator's pattern): the Node object is the authority.
 */
function checkSansOwned(
  req: CertificateRequestFacts,
  name: string,
  node: FleetNodeFacts,
  policy: ServingPolicy,
): Refusal | null {
  const nodeIps = new Set(
    node.addresses
      .filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP')
      .flatMap((a) => canonicalIp(a.address) ?? []),
  );
  for (const ip of req.ipAddresses) {
    const c = canonicalIp(ip);
    if (c === null || !nodeIps.has(c))
      return refuse(
        'IpSanNotOfNode',
        `IP ${JSON.stringify(ip)} is not one of Node ${JSON.stringify(name)}'s addresses (${list([...nodeIps])})`,
      );
  }
  const nodeNames = new Set([
    name,
    ...node.addresses
      .filter((a) => a.type === 'Hostname' || a.type === 'InternalDNS' || a.type === 'ExternalDNS')
      .map((a) => a.address),
  ]);
  for (const dns of req.dnsNames) {
    const own = nodeNames.has(dns);
    const allowed =
      own || (dns.length <= MAX_DNS_NAME && policy.dnsPatterns.some((p) => p.test(dns)));
    if (!allowed)
      return refuse(
        'DnsSanNotOfNode',
        `DNS name ${JSON.stringify(dns)} is neither Node ${JSON.stringify(name)}'s name, hostname ` +
          `or DNS address (${list([...nodeNames])}) nor matched by a --serving-dns-pattern`,
      );
  }
  return null;
}

/**
 * The decision for one CSR; null when it is not certdrift's to judge (another signer, or no
 * longer Pending). `nodes` is every Node by name.
 */
export function judgeServingCsr(
  csr: CsrFacts,
  nodes: ReadonlyMap<string, FleetNodeFacts>,
  policy: ServingPolicy,
): ServingDecision | null {
  if (csr.signerName !== KUBELET_SERVING || csrState(csr) !== 'pending') return null;
  const requestor = checkRequestor(csr, nodes);
  if ('approve' in requestor) return requestor;
  const { name, node } = requestor;
  if (!csr.request.ok) return refuse('RequestUnreadable', csr.request.message);
  const req = csr.request.facts;
  const refusal = checkShape(csr, req, name) ?? checkSansOwned(req, name, node, policy);
  if (refusal) return refusal;
  if (csr.expirationSeconds !== undefined && csr.expirationSeconds > policy.maxExpirationSeconds)
    return refuse(
      'ExpirationTooLong',
      `expirationSeconds ${csr.expirationSeconds} is over the maximum ${policy.maxExpirationSeconds}`,
    );
  return {
    approve: true,
    node: name,
    message:
      `certdrift approved: requested by node ${name} for its own names and addresses ` +
      `(${list([...req.dnsNames, ...req.ipAddresses])})`,
  };
}
