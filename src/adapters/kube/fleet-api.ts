// The fleet view's Kubernetes calls, and nothing else: list Nodes, NodeCertificateReports and
// kubelet CSRs (paged, by signer with the `spec.signerName` field selector), and — only for the
// opt-in approver — update a CSR's `approval` subresource and create Events about CSRs. Each
// call is one rule in deploy/fleet (test/fleet/approver.test.ts removes each and watches exactly
// that call fail in the API server's audit log). API JSON is mapped to src/fleet's types here.

import { parseCertificateRequestPem } from '../../certs/csr.js';
import type { FleetCluster } from '../../fleet/ports.js';
import type { CsrCondition, CsrFacts, FleetNodeFacts, ReportFacts } from '../../fleet/types.js';
import { KUBELET_CLIENT, KUBELET_SERVING } from '../../model/signers.js';
import { messageOf, type KubeApi } from './kube-api.js';
import { ClusterError } from '../../model/cluster.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const REPORTS = '/apis/certdrift.io/v1alpha1/nodecertificatereports';
/** Events about cluster-scoped objects go to `default`, as kubectl and client-go record them. */
const EVENTS = '/api/v1/namespaces/default/events';

/** Bounds on what one sync reads: past them the sync fails with a clear error. */
export const MAX_ITEMS = 50_000;

function nodeOf(v: unknown): FleetNodeFacts {
  const n = obj(v);
  const meta = obj(n.metadata);
  const addrs = obj(n.status).addresses;
  return {
    name: str(meta.name),
    uid: str(meta.uid),
    os: str(obj(meta.labels)['kubernetes.io/os']),
    addresses: (Array.isArray(addrs) ? addrs : [])
      .slice(0, 64)
      .map((a) => ({ type: str(obj(a).type), address: str(obj(a).address) })),
  };
}

function reportOf(v: unknown): ReportFacts {
  const r = obj(v);
  const s = obj(r.status);
  return {
    node: str(obj(r.metadata).name),
    ...(typeof s.scannedAt === 'string' ? { scannedAt: s.scannedAt } : {}),
    ...(typeof s.deadline === 'string' ? { deadline: s.deadline } : {}),
    ...(typeof s.deadlineNotBefore === 'string' ? { deadlineNotBefore: s.deadlineNotBefore } : {}),
    worstSeverity: str(s.worstSeverity),
  };
}

function csrOf(v: unknown): CsrFacts {
  const c = obj(v);
  const meta = obj(c.metadata);
  const spec = obj(c.spec);
  const status = obj(c.status);
  const conds: unknown[] = Array.isArray(status.conditions) ? status.conditions : [];
  const request = Buffer.from(str(spec.request), 'base64');
  return {
    name: str(meta.name),
    uid: str(meta.uid),
    createdAt: str(meta.creationTimestamp),
    signerName: str(spec.signerName),
    username: str(spec.username),
    groups: strs(spec.groups),
    usages: strs(spec.usages),
    ...(typeof spec.expirationSeconds === 'number'
      ? { expirationSeconds: spec.expirationSeconds }
      : {}),
    request: parseCertificateRequestPem(request),
    conditions: conds.slice(0, 32).map((x): CsrCondition => {
      const o = obj(x);
      return {
        type: str(o.type),
        status: str(o.status),
        reason: str(o.reason),
        message: str(o.message),
      };
    }),
    issued: str(status.certificate) !== '',
  };
}

export class HttpFleetCluster implements FleetCluster {
  /** the CSR objects of the last list, by uid: an approval writes back the object as read */
  private raw = new Map<string, Json>();

  constructor(
    private readonly api: KubeApi,
    private readonly pageSize = 500,
  ) {}

  private async listAll(path: string, query: Record<string, string> = {}): Promise<Json[]> {
    const items: Json[] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ ...query, limit: String(this.pageSize) });
      if (token) q.set('continue', token);
      const r = await this.api.ok('GET', `${path}?${q.toString()}`);
      const page = Array.isArray(r.body.items) ? (r.body.items as Json[]) : [];
      items.push(...page);
      if (items.length > MAX_ITEMS)
        throw new ClusterError(`Kubernetes GET ${path}: more than ${MAX_ITEMS} items`, 0);
      const next = obj(r.body.metadata).continue;
      token = typeof next === 'string' && next !== '' ? next : undefined;
    } while (token);
    return items;
  }

  async listFleetNodes(): Promise<FleetNodeFacts[]> {
    return (await this.listAll('/api/v1/nodes')).map(nodeOf);
  }

  async listReports(): Promise<ReportFacts[]> {
    return (await this.listAll(REPORTS)).map(reportOf);
  }

  async listKubeletCsrs(): Promise<CsrFacts[]> {
    const raw = new Map<string, Json>();
    const out: CsrFacts[] = [];
    for (const signer of [KUBELET_SERVING, KUBELET_CLIENT]) {
      for (const item of await this.listAll(CSRS, { fieldSelector: `spec.signerName=${signer}` })) {
        const facts = csrOf(item);
        raw.set(facts.uid, item);
        out.push(facts);
      }
    }
    this.raw = raw;
    return out;
  }

  async approveCsr(csr: CsrFacts, reason: string, message: string): Promise<boolean> {
    const item = this.raw.get(csr.uid);
    if (!item) throw new ClusterError(`CSR ${csr.name}: approve before it was listed`, 0);
    const status = obj(item.status);
    const conditions: unknown[] = Array.isArray(status.conditions) ? status.conditions : [];
    const path = `${CSRS}/${encodeURIComponent(csr.name)}/approval`;
    // The object as listed (its resourceVersion makes a concurrent change a 409) plus Approved.
    const r = await this.api.call('PUT', path, {
      ...item,
      status: {
        ...status,
        conditions: [...conditions, { type: 'Approved', status: 'True', reason, message }],
      },
    });
    if (r.status === 409 || r.status === 404) return false;
    if (r.status < 200 || r.status >= 300)
      throw new ClusterError(`Kubernetes PUT ${path}: ${r.status} ${messageOf(r)}`, r.status);
    return true;
  }

  async recordCsrEvent(
    csr: CsrFacts,
    name: string,
    reason: string,
    message: string,
    time: string,
  ): Promise<boolean> {
    const r = await this.api.call('POST', EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        name: csr.name,
        uid: csr.uid,
      },
      reason,
      message,
      type: 'Warning',
      source: { component: 'certdrift-fleet' },
      reportingComponent: 'certdrift-fleet',
      reportingInstance: 'certdrift-fleet',
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    });
    if (r.status === 409) return false;
    if (r.status < 200 || r.status >= 300)
      throw new ClusterError(`Kubernetes POST ${EVENTS}: ${r.status} ${messageOf(r)}`, r.status);
    return true;
  }
}
