// `certdrift plan`: which nodes to replace, in what order, by when. Builds the fleet source,
// reads the policy, calls the pure planner with the injected time, renders, returns the code.

import type { FleetSource } from '../../fleet/fleet.js';
import { planReplacements } from '../../fleet/plan-replacements.js';
import { escapeTerminal } from '../../model/escape.js';
import { COLOR, PLAIN } from '../../model/text-table.js';
import type { CommandDef, Io, Values } from '../command.js';
import { atFlag, COLOR_OPTION, UsageError, useColor } from '../command.js';
import { OperationalError } from '../errors.js';
import { loadPolicy } from '../policy-file.js';
import { fileFleetSource } from './plan-file-source.js';
import { VERSION } from '../version.js';

const OUTPUTS = ['table', 'json', 'yaml', 'html'] as const;

async function fleetSource(values: Values, io: Io): Promise<FleetSource> {
  const str = (k: string): string | undefined =>
    typeof values[k] === 'string' ? values[k] : undefined;
  const list = (k: string): string[] => (Array.isArray(values[k]) ? values[k] : []);
  const kube = str('kubernetes');
  const nodes = str('nodes');
  const selector = str('selector');
  if (selector !== undefined && kube === undefined)
    throw new UsageError('--selector selects nodes in the cluster: it needs --kubernetes');
  if (selector !== undefined && selector.trim() === '')
    throw new UsageError('--selector: expected a label selector such as pool=blue');
  if (
    kube !== undefined &&
    (nodes !== undefined || list('reports').length > 0 || list('scan').length > 0)
  )
    throw new UsageError(
      '--kubernetes reads nodes and reports from the cluster: drop --nodes, --reports and --scan',
    );
  if (kube !== undefined) {
    // Loaded only here: the cluster client is the heaviest part of the CLI.
    const { openCluster } = await import('../../adapters/kube/connect.js');
    const { clusterFleetSource } = await import('../../fleet/from-cluster.js');
    const client = openCluster(kube, io.env, `certdrift/${VERSION}`);
    if (!client)
      throw new OperationalError(
        '--kubernetes auto: not running in a pod (no KUBERNETES_SERVICE_HOST); give a kubeconfig path',
      );
    return clusterFleetSource(
      client,
      kube === 'auto' ? 'in-cluster' : kube,
      selector !== undefined ? { labelSelector: selector } : {},
    );
  }
  if (nodes === undefined)
    throw new UsageError(
      'say where the nodes come from: --nodes FILE or --kubernetes auto|KUBECONFIG',
    );
  return fileFleetSource({ nodes, reports: list('reports'), scans: list('scan') });
}

export const planCommand: CommandDef = {
  name: 'plan',
  summary: 'which nodes to replace, in what order, by when — before any certificate expires',
  usage:
    'certdrift plan --nodes FILE [--reports FILE] [--scan [NODE=]FILE]… [--policy FILE] [--at DATE] [-o table|json|yaml|html]',
  description: [
    "Turns each node's certificate deadline into a replacement schedule within your maintenance",
    'windows and disruption limits. A node is due by min(deadline − margin, creation + maxNodeAge);',
    'its deadline comes from its NodeCertificateReport (--reports) or a scan (--scan); a kops node',
    'without either is assumed to end at creation + 455 days. Nodes due within the horizon are',
    'replaced most urgent first, per group (kops instance group, Cluster API owner, Karpenter',
    'NodePool, EKS/GKE/AKS node pool, or `none`), at most max(1, maxSurge + maxUnavailable) per',
    'group and maxInFlight cluster-wide at once, each replacement wholly inside one window.',
    'Policy keys: maxNodeAge, margin, horizon, perNode, maxInFlight, windows, groups (docs/plan.md).',
    'A scan file names no node: give it as NODE=FILE, or the node is read from the kubelet client',
    "certificate's subject (CN system:node:<name>).",
    'Exit codes: 0 nothing late, 1 late nodes whose certificates are still valid, 2 certificates',
    'expire before their replacement, 3 usage, policy or input error.',
  ].join('\n'),
  options: {
    nodes: {
      type: 'string',
      value: 'FILE',
      description: '`kubectl get nodes -o json` (or -o yaml) output',
    },
    reports: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description: '`kubectl get nodecertificatereports -o json` output (name = node)',
    },
    scan: {
      type: 'string',
      multiple: true,
      value: '[NODE=]FILE',
      description: '`certdrift scan -o json` output of one node, for clusters without the agent',
    },
    kubernetes: {
      type: 'string',
      value: 'auto|KUBECONFIG',
      description:
        'list nodes and NodeCertificateReports from the cluster: `auto` in a pod, else a kubeconfig (needs list on both)',
    },
    selector: {
      type: 'string',
      short: 'l',
      value: 'LABELS',
      description: 'with --kubernetes: only the nodes this label selector matches',
      shownDefault: 'every node',
    },
    policy: {
      type: 'string',
      value: 'FILE',
      description: 'replacement policy (YAML), see docs/plan.md',
      shownDefault: 'built-in defaults',
    },
    at: {
      type: 'string',
      value: 'DATE',
      description: 'plan as of this RFC 3339 time',
      shownDefault: 'now',
    },
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'table, json, yaml or html (one self-contained page)',
      shownDefault: 'table',
    },
    color: COLOR_OPTION,
  },
  examples: [
    'kubectl get nodes -o json > nodes.json; kubectl get ncr -o json > reports.json',
    'certdrift plan --nodes nodes.json --reports reports.json --policy plan-policy.yaml',
    'certdrift plan --nodes nodes.json --reports reports.json -o html > plan.html',
    'certdrift plan --nodes nodes.json --scan ip-10-0-1-7=scan-1-7.json --at 2026-12-01T00:00:00Z -o json',
  ],
  run: async (values: Values, positionals: string[], io: Io): Promise<number> => {
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const output = values.output ?? 'table';
    if (typeof output !== 'string' || !(OUTPUTS as readonly string[]).includes(output))
      throw new UsageError(`--output: expected ${OUTPUTS.join(', ')}, got ${String(output)}`);
    const at = atFlag(values.at, new Date());
    const source = await fleetSource(values, io);
    const policy = await loadPolicy(typeof values.policy === 'string' ? values.policy : undefined);
    const fleet = await source.load();
    const plan = planReplacements(fleet.nodes, fleet.facts, policy, at);
    const unknownGroups = Object.keys(policy.groups).filter(
      (g) => !plan.groups.some((x) => x.group === g),
    );
    const problems = [
      ...fleet.problems,
      ...unknownGroups.map((g) => ({
        source: 'policy',
        message: `group ${JSON.stringify(g)} matches no node`,
      })),
    ];
    if (output === 'json' || output === 'yaml') {
      const { buildPlanDocument } = await import('../../fleet/render/plan-document.js');
      const doc = buildPlanDocument(plan, source.describe(), problems);
      if (output === 'json') io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      else io.stdout.write((await import('yaml')).stringify(doc, { lineWidth: 0 }));
    } else if (output === 'html') {
      const { renderPlanHtml } = await import('../../fleet/render/plan-html.js');
      io.stdout.write(renderPlanHtml(plan, problems));
    } else {
      for (const p of problems)
        io.stderr.write(
          `certdrift plan: warning: ${escapeTerminal(`${p.source}: ${p.message}`)}\n`,
        );
      const { renderPlanTable } = await import('../../fleet/render/plan-table.js');
      io.stdout.write(renderPlanTable(plan, useColor(values.color, io) ? COLOR : PLAIN));
    }
    return plan.summary.exitCode;
  },
};
