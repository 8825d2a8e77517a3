// `certdrift audit`: manifests that set up certificate drift, located by file, line and column.

import { readFileSync } from 'node:fs';
import { AUDIT_RULES, auditManifest, type FileAudit } from '../../audit/index.js';
import { readManifestFiles } from '../../adapters/host/manifest-files.js';
import { findManifests, listNodeDir, staticPodDirs } from '../../adapters/host/manifest-host.js';
import { SEVERITY_RANK } from '../../model/index.js';
import { renderAuditTable } from '../../audit/audit-table.js';
import { renderSarif } from '../../audit/sarif.js';
import { COLOR, PLAIN } from '../../model/text-table.js';
import type { CommandDef, Io, Values } from '../command.js';
import { COLOR_OPTION, UsageError, useColor } from '../command.js';
import { OperationalError } from '../errors.js';
import { VERSION } from '../version.js';

export function auditPaths(paths: readonly string[]): {
  audits: FileAudit[];
  unreadable: { path: string; message: string }[];
} {
  const { files, problems } = readManifestFiles(paths, () => readFileSync(0, 'utf8'));
  return { audits: files.map((f) => auditManifest(f.path, f.text)), unreadable: problems };
}

/**
 * The node's own static pods: the directory of its distribution, links resolved inside the host
 * root, and the node's directories listed so a fix is offered only where it exposes nothing new.
 */
export async function auditNode(hostRoot: string): Promise<{
  audits: FileAudit[];
  unreadable: { path: string; message: string }[];
}> {
  const listDir = (dir: string): string[] | undefined => listNodeDir(hostRoot, dir);
  const audits: FileAudit[] = [];
  const unreadable: { path: string; message: string }[] = [];
  const dirs = await staticPodDirs(hostRoot);
  const found = await findManifests(hostRoot, dirs);
  // no static-pod directory at all: not a node (or the wrong root), said as scan says it, exit 3
  if (found.length > 0 && found.every((m) => m.missing === true))
    throw new OperationalError(
      `no static pod directory under ${hostRoot} (looked for ${dirs.join(', ')}). Is this a Kubernetes node? Point --host-root at its root file system, or name the manifests to audit: certdrift audit PATH…`,
    );
  for (const m of found) {
    try {
      if (!m.target) throw new Error(m.problem ?? 'unreadable');
      audits.push(auditManifest(m.path, readFileSync(m.target, 'utf8'), { listDir }));
    } catch (err) {
      unreadable.push({ path: m.path, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { audits, unreadable };
}

export const auditCommand: CommandDef = {
  name: 'audit',
  summary:
    'find manifests that set up certificate drift (single-file mounts, subPath secrets, propagation)',
  usage: 'certdrift audit [PATH…] [-o table|json|sarif] [--host-root DIR]',
  description: [
    "Reads static pod manifests (default: the node's static-pod directory, by distribution —",
    '/etc/kubernetes/manifests for kops and kubeadm, /var/lib/rancher/{k3s,rke2}/agent/pod-manifests),',
    'any YAML or JSON files or directories (multi-document; `kind: List` as kubectl prints it; Pod,',
    'DaemonSet, Deployment, StatefulSet, ReplicaSet, ReplicationController, Job, CronJob,',
    'PodTemplate) or `-` for standard input, and reports:',
    '  FILE_HOSTPATH_MOUNT      certificate/kubeconfig mounted as a single file from a node path that',
    '                           is rotated by rename (critical) or in an unknown way (warning)',
    '  SUBPATH_PROJECTED_MOUNT  certificate from a Secret/ConfigMap/projected volume via subPath',
    '  PROPAGATION_NONE         directory the node mounts under (e.g. /var/lib/kubelet) without propagation',
    '  PROPAGATION_CANNOT_HELP  propagation set on a single-file mount (info: it does not help)',
    '  LOADS_CERTS_ONCE         kube-proxy loads its certificate once (info)',
    'kubeadm rewrites /etc/kubernetes/*.conf in place, so its single-file kubeconfig mounts do not go',
    'stale and are not reported. Exit codes as for scan: 0 ok, 1 warning, 2 critical, 3 nothing read.',
  ].join('\n'),
  options: {
    'host-root': {
      type: 'string',
      value: 'DIR',
      description: 'the node root whose static-pod directory is audited by default',
      shownDefault: '/',
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'table, json or sarif (SARIF 2.1.0)',
      shownDefault: 'table',
    },
    color: COLOR_OPTION,
  },
  examples: [
    "certdrift audit                                   # this node's static pods",
    'certdrift audit deploy/ -o sarif > certdrift.sarif  # in CI, for code scanning',
    'kubectl get ds -A -o yaml | certdrift audit -',
  ],
  run: async (values: Values, positionals: string[], io: Io): Promise<number> => {
    const output = values.output ?? 'table';
    if (output !== 'table' && output !== 'json' && output !== 'sarif')
      throw new UsageError(`--output: expected table, json or sarif, got ${String(output)}`);
    const hostRoot = typeof values['host-root'] === 'string' ? values['host-root'] : '/';
    const { audits, unreadable } =
      positionals.length > 0 ? auditPaths(positionals) : await auditNode(hostRoot);
    for (const u of unreadable)
      audits.push({
        file: u.path,
        workloads: 0,
        skippedKinds: [],
        problems: [{ message: u.message }],
        findings: [],
      });
    const findings = audits.flatMap((a) => a.findings);
    const worst = findings.reduce((w, f) => Math.max(w, SEVERITY_RANK[f.severity]), 0);
    const read = audits.filter((a) => a.workloads > 0 || a.skippedKinds.length > 0).length;
    const code = read === 0 && findings.length === 0 ? 3 : worst;
    if (output === 'sarif')
      io.stdout.write(
        renderSarif(findings, AUDIT_RULES, { version: VERSION, baseDir: process.cwd() }),
      );
    else if (output === 'json') {
      io.stdout.write(
        JSON.stringify(
          {
            apiVersion: 'certdrift.io/v1alpha1',
            kind: 'ManifestAudit',
            schemaVersion: 1,
            exitCode: code,
            files: audits,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      io.stdout.write(renderAuditTable(audits, useColor(values.color, io) ? COLOR : PLAIN));
    }
    return code;
  },
};
