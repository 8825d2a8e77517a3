// `certdrift rotate`: one step of carrying out the plan. Reads the live cluster, recomputes the
// plan, prints each action with its exact call; with --apply takes the rotation Lease and acts.
// Run it again (or in a loop) to continue: progress lives in the rotation state object
// (ConfigMap certdrift-rotation-state in certdrift's namespace, written only by the rotator).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Actuator, RotateOptions } from '../../rotate/rotate-types.js';
import { ACTUATOR_NAMES as ACTUATORS } from '../../rotate/actuators/index.js';
import { defaultDrainTimeoutMs, drainTimeoutProblem } from '../../rotate/drain-window.js';
import type { StepRun } from '../../rotate/run-step.js';
import type { DriveResult } from '../../rotate/drive/drive.js';
import { escapeTerminal } from '../../model/escape.js';
import type { CommandDef, Io, Values } from '../command.js';
import { atFlag, UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { VERSION } from '../version.js';
import { loadPolicy } from '../policy-file.js';
import {
  EXIT_OF_END,
  gateOf,
  runSummaryJson,
  runSummaryText,
  durationFlag,
  WAIT_OPTIONS,
  waitFlagsOf,
} from '../rotate-wait.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** an image reference: registry/name[:tag][@digest], no spaces or control characters */
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]{0,511}$/;

/** --in-place-image: the agent's image the in-place actuator's Jobs run */
export function inPlaceImageOf(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !IMAGE.test(v))
    throw new UsageError(
      '--in-place-image: expected an image reference such as ghcr.io/certdrift/certdrift:0.1.0',
    );
  return v;
}

/** --selector: passed to the API server as labelSelector (it judges the syntax: a 400 is exit 3) */
export function selectorOf(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '')
    throw new UsageError('--selector: expected a label selector such as pool=blue');
  return v;
}

function durationMs(v: unknown, flag: string, dflt: number): number {
  return durationFlag(v, flag) ?? dflt;
}

function optionsOf(values: Values, defaultDrainTimeoutMs: number): RotateOptions {
  const a = values.actuator;
  if (a !== undefined && !(ACTUATORS as readonly unknown[]).includes(a))
    throw new UsageError(`--actuator: expected ${ACTUATORS.join(', ')}`);
  const after = values['after-drain'] ?? 'none';
  if (after !== 'none' && after !== 'delete-node')
    throw new UsageError('--after-drain: expected delete-node or none');
  return {
    ...(a !== undefined ? { actuator: a as Actuator } : {}),
    afterDrain: after,
    drainTimeoutMs: durationMs(values['drain-timeout'], '--drain-timeout', defaultDrainTimeoutMs),
    ...(typeof values['kops-cluster'] === 'string' ? { kopsCluster: values['kops-cluster'] } : {}),
    ...(values.force === true ? { force: true } : {}),
    ...(values['delete-emptydir-data'] === true ? { deleteEmptyDirData: true } : {}),
    ...(values['capi-delete-machine'] === true ? { capiDeleteMachine: true } : {}),
    ...(values['take-over-cordoned'] === true ? { takeOverCordoned: true } : {}),
    ...(values['hold-report-jump'] === true ? { holdReportJump: true } : {}),
  };
}

export const rotateCommand: CommandDef = {
  name: 'rotate',
  summary:
    'carry out the plan: drive kops, Cluster API, Karpenter, a drain or an in-place renewal (dry run; --apply)',
  usage:
    'certdrift rotate --kubernetes auto|KUBECONFIG|--nodes FILE --reports FILE [--pods FILE] [--selector LABELS] [--fleet-selector LABELS] [--namespace NS] [--policy FILE] [--apply [--wait | --watch [--interval DURATION]]] [--actuator A] [--in-place-image IMAGE] [--after-drain delete-node|none] [--force] [--delete-emptydir-data] [--capi-delete-machine] [--take-over-cordoned] [--hold-report-jump] [--force-after DURATION] [--defer-while QUERY --prometheus-url URL] [-o text|json]',
  description: [
    'One step of the rotation: reads the cluster, recomputes the plan (as `certdrift plan`), and',
    'for the nodes due now — inside a window and within the group and cluster limits — prints',
    'each action with its exact API call or command. --selector limits the rotation to the nodes',
    'a label selector matches (as `kubectl drain --selector`). --apply takes the Lease',
    'NAMESPACE/certdrift-rotate (taken over from another holder only after it expired) and acts.',
    'Actuators per group: kops (annotate kops.k8s.io/needs-update, print `kops rolling-update`),',
    'capi (annotate the Machine cluster.x-k8s.io/remediate-machine), karpenter (delete the',
    'NodeClaim), in-place (no replacement: a Job pinned to the node runs `certdrift renew --apply`',
    "with the agent's image from --in-place-image; its proof is the node's validation, a failure",
    'leaves the node stuck with the reason; refused on EKS/GKE/AKS and kops nodes), drain',
    '(cordon, evict through policy/v1 Eviction honouring PodDisruptionBudgets,',
    "with kubectl drain's rules: a node with pods no controller recreates (--force), with emptyDir",
    '(--delete-emptydir-data) or annotated karpenter.sh/do-not-disrupt / safe-to-evict=false is',
    'refused, each pod named; --force-after never deletes a refused pod).',
    'Progress is recorded in the ConfigMap NAMESPACE/certdrift-rotation-state, which only the',
    "rotator's ServiceAccount may write (node annotations are never trusted): run it again to",
    'continue; finished work is never repeated. Capacity counts every cordoned, NotReady or',
    'handed-over node; a node someone else cordoned is left alone (--take-over-cordoned);',
    'control-plane nodes are never drained, at most one is in flight, their remedy is named.',
    '--apply --watch keeps stepping (the in-cluster',
    'Deployment, deploy/rotator): it waits for the Lease, renews it while working, stops acting',
    'the moment it is lost, and releases it on SIGTERM. --apply --wait instead keeps stepping',
    'under the held, renewed Lease until the due nodes are finished or stuck: it waits for each',
    "actuator's effect, validates the group between nodes, and records a node stuck past its",
    'timeout; --defer-while holds back new nodes while a Prometheus query returns series.',
    'Windows bound every disruptive call: a drain whose window ends stops evicting until the next.',
    '--nodes/--reports/--pods preview a step from kubectl -o json files, with no cluster.',
    'See docs/rotate.md.',
    'Exit codes: 0 ok, 1 some node blocked or stuck, 3 usage, lock or cluster error.',
  ].join('\n'),
  options: {
    kubernetes: {
      type: 'string',
      value: 'auto|KUBECONFIG',
      description: "the cluster: `auto` is the pod's service account, else a kubeconfig path",
    },
    selector: {
      type: 'string',
      short: 'l',
      value: 'LABELS',
      description: 'only the nodes this label selector matches (e.g. pool=blue,!critical)',
      shownDefault: 'every node',
    },
    'fleet-selector': {
      type: 'string',
      value: 'LABELS',
      description:
        'the nodes that make up the cluster for capacity (group sizes, unavailable, maxInFlight); --selector still chooses the nodes acted on',
      shownDefault: 'every node',
    },
    namespace: {
      type: 'string',
      value: 'NS',
      description: "certdrift's own namespace, where the rotation Lease lives",
      shownDefault: "the pod's namespace with --kubernetes auto, else certdrift",
    },
    policy: {
      type: 'string',
      value: 'FILE',
      description: 'replacement policy (YAML), as for `certdrift plan`',
      shownDefault: 'built-in defaults',
    },
    apply: { type: 'boolean', description: 'act (default: print the actions only)' },
    actuator: {
      type: 'string',
      value: 'A',
      description:
        "kops, capi, karpenter, drain or in-place for every group (else the policy's groups.<g>.actuator, else the group's tool)",
    },
    'in-place-image': {
      type: 'string',
      value: 'IMAGE',
      description:
        "the agent DaemonSet's image, run by the in-place actuator's Jobs (needed for in-place)",
    },
    'after-drain': {
      type: 'string',
      value: 'WHAT',
      description: 'delete-node (its group replaces it) or none (leave it cordoned)',
      shownDefault: 'none',
    },
    'drain-timeout': {
      type: 'string',
      value: 'DURATION',
      description:
        "a drain longer than this is reported stuck and left cordoned; at most the policy's perNode",
      shownDefault: "1h, or the policy's shortest perNode if less",
    },
    'allow-drain-past-window': {
      type: 'boolean',
      description:
        "accept a --drain-timeout longer than the policy's perNode (a drain reaching its window's end stops evicting and waits for the next window)",
    },
    nodes: {
      type: 'string',
      value: 'FILE',
      description:
        'offline preview: `kubectl get nodes -o json` output (with --reports, --pods; no cluster, never acts)',
    },
    reports: {
      type: 'string',
      value: 'FILE',
      description: 'with --nodes: `kubectl get nodecertificatereports -o json` output',
    },
    pods: {
      type: 'string',
      value: 'FILE',
      description: "with --nodes: `kubectl get pods -A -o json` output (the drains' pods)",
    },
    force: {
      type: 'boolean',
      description:
        'as kubectl drain --force: also evict pods no controller recreates (without it their node is refused)',
    },
    'delete-emptydir-data': {
      type: 'boolean',
      description:
        'as kubectl drain --delete-emptydir-data: also evict pods with an emptyDir volume (its data is lost)',
    },
    'capi-delete-machine': {
      type: 'boolean',
      description:
        'where no MachineHealthCheck would remediate a Machine (none selects it, paused, over maxUnhealthy), delete the Machine so its MachineSet replaces it (needs `delete` on machines)',
    },
    'take-over-cordoned': {
      type: 'boolean',
      description:
        'rotate due nodes someone else cordoned (without it they are left alone and reported); certdrift never uncordons',
    },
    'hold-report-jump': {
      type: 'boolean',
      description:
        'hold nodes due by their NodeCertificateReport only when more than max(1, 10%) of a group became so at once (without it the jump is reported and they are rotated within the limits)',
    },
    'kops-cluster': {
      type: 'string',
      value: 'NAME',
      description: 'kops cluster name for the printed command',
    },
    watch: {
      type: 'boolean',
      description:
        'with --apply: keep going, one step every --interval, until SIGTERM (in-cluster)',
    },
    interval: {
      type: 'string',
      value: 'DURATION',
      description: 'time between steps with --watch',
      shownDefault: '1m',
    },
    run: { type: 'string', value: 'NAME', description: 'names the campaign (part of the plan id)' },
    identity: {
      type: 'string',
      value: 'ID',
      description: 'Lease holder identity',
      shownDefault: 'hostname_<random>',
    },
    at: {
      type: 'string',
      value: 'DATE',
      description: 'plan as of this RFC 3339 time',
      shownDefault: 'now',
    },
    ...WAIT_OPTIONS,
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT',
      description: 'text or json',
      shownDefault: 'text',
    },
  },
  examples: [
    'certdrift rotate --nodes nodes.json --reports reports.json --pods pods.json --policy plan-policy.yaml',
    'certdrift rotate --kubernetes ~/.kube/config --policy plan-policy.yaml',
    'certdrift rotate --kubernetes ~/.kube/config --policy plan-policy.yaml --apply --kops-cluster prod.example.com',
    'certdrift rotate --kubernetes ~/.kube/config --apply --wait --defer-while \'ALERTS{severity="critical"}\' --prometheus-url http://prometheus:9090',
    'certdrift rotate --kubernetes auto --policy /etc/certdrift/policy/policy.yaml --apply --watch --interval 1m',
  ],
  run: runRotate,
};

type Output = 'text' | 'json';
type Policy = Awaited<ReturnType<typeof loadPolicy>>;
type Rotation = typeof import('../../rotate/index.js');

/** the rotate command: checks the flags, then previews from files or steps against a cluster */
async function runRotate(values: Values, positionals: string[], io: Io): Promise<number> {
  const mode = modeOf(values, positionals);
  const now = atFlag(values.at, new Date());
  const policy = await loadPolicy(typeof values.policy === 'string' ? values.policy : undefined);
  const { options, flags } = stepOptionsOf(values, policy, mode.apply);
  const intervalMs = intervalOf(values, mode.watch);
  const gate = await gateOf(flags);
  if (mode.offline) return previewOffline(values, policy, options, mode.output, now, io);
  if (typeof values.kubernetes !== 'string')
    throw new UsageError('say which cluster: --kubernetes auto|KUBECONFIG');
  const rotation = await import('../../rotate/index.js');
  const { client, namespace } = await clientFor(values, values.kubernetes, options, io);
  const planId = rotation.planIdOf(
    JSON.stringify(policy),
    typeof values.run === 'string' ? values.run : '',
  );
  const settings = { policy, planId, options, apply: mode.apply, ...(gate ? { gate } : {}) };
  const out = outputsOf(rotation, io, mode);
  if (mode.apply) {
    // The Lease is held for the whole run, renewed while working, released at the end.
    const { rotateWithLease } = await import('../rotate-session.js');
    const start = Date.now();
    return rotateWithLease({
      client,
      step: settings,
      // client-go leader election's default: host name + random suffix, so two runs on one
      // host (two terminals, a restarted pod) are two candidates, never one shared holder.
      me:
        typeof values.identity === 'string'
          ? values.identity
          : `${hostname()}_${randomBytes(4).toString('hex')}`,
      namespace,
      watch: mode.watch,
      intervalMs,
      now: () => new Date(now.getTime() + Date.now() - start),
      io,
      render: out.render,
      exitOf: out.exitOf,
      ...(flags.wait
        ? {
            wait: {
              pollMs: flags.pollMs,
              deferTimeoutMs: flags.deferTimeoutMs,
              report: out.report,
            },
          }
        : {}),
    });
  }
  const run = await rotation.runStep(client, settings, now);
  out.render(run);
  return out.exitOf(run);
}

interface Mode {
  output: Output;
  offline: boolean;
  apply: boolean;
  watch: boolean;
}

/** which run this is (a preview from files, one step, --wait, --watch), the combinations checked */
function modeOf(values: Values, positionals: string[]): Mode {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError('--output: expected text or json');
  const offline = typeof values.nodes === 'string';
  if (offline && values.kubernetes !== undefined)
    throw new UsageError('--nodes previews from files: drop --kubernetes (or --nodes)');
  if (offline && values.selector !== undefined)
    throw new UsageError('--selector selects nodes in the cluster: it needs --kubernetes');
  if (offline && values['fleet-selector'] !== undefined)
    throw new UsageError('--fleet-selector selects nodes in the cluster: it needs --kubernetes');
  if (!offline && (values.reports !== undefined || values.pods !== undefined))
    throw new UsageError('--reports and --pods go with --nodes (an offline preview)');
  if (!offline && typeof values.kubernetes !== 'string')
    throw new UsageError(
      'say which cluster: --kubernetes auto|KUBECONFIG (or preview from files: --nodes FILE --reports FILE)',
    );
  const apply = values.apply === true;
  if (offline && (apply || values.wait === true || values.watch === true))
    throw new UsageError(
      '--nodes is an offline preview: it never acts (no --apply, --wait or --watch)',
    );
  if (offline && typeof values.reports !== 'string')
    throw new UsageError(
      '--nodes needs --reports FILE (`kubectl get nodecertificatereports -o json`)',
    );
  // --at is a preview: with --apply it would write a time that is not now into the live Lease
  // and the rotation records, which every later run judges against its own clock.
  if (apply && values.at !== undefined)
    throw new UsageError('--at previews the plan at another time: it cannot be used with --apply');
  return { output, offline, apply, watch: values.watch === true };
}

/** the step's options: the actuator flags, the drain timeout against the policy, the waits */
function stepOptionsOf(
  values: Values,
  policy: Policy,
  apply: boolean,
): { options: RotateOptions; flags: ReturnType<typeof waitFlagsOf> } {
  const base = optionsOf(values, defaultDrainTimeoutMs(policy));
  const tooLong = drainTimeoutProblem(policy, base.drainTimeoutMs);
  if (tooLong !== null && values['allow-drain-past-window'] !== true) throw new UsageError(tooLong);
  const flags = waitFlagsOf(values, base.drainTimeoutMs, apply);
  const options: RotateOptions = {
    ...base,
    ...(flags.replaceTimeoutMs !== undefined ? { replaceTimeoutMs: flags.replaceTimeoutMs } : {}),
    ...(flags.forceAfterMs !== undefined ? { forceAfterMs: flags.forceAfterMs } : {}),
  };
  return { options, flags };
}

/** --interval: the time between steps of --watch */
function intervalOf(values: Values, watch: boolean): number {
  if (watch && values.apply !== true)
    throw new UsageError('--watch keeps acting: it needs --apply');
  if (values.interval !== undefined && !watch)
    throw new UsageError('--interval is the time between steps of --watch');
  const intervalMs = durationMs(values.interval, '--interval', 60_000);
  if (intervalMs <= 0) throw new UsageError('--interval: expected a duration above zero');
  return intervalMs;
}

/** --nodes FILE --reports FILE [--pods FILE]: what a step would do, from kubectl's JSON */
async function previewOffline(
  values: Values,
  policy: Policy,
  options: RotateOptions,
  output: Output,
  now: Date,
  io: Io,
): Promise<number> {
  const { offlineEdge } = await import('../rotate-offline.js');
  const { planIdOf, runStep, renderStepText, stepDocument } = await import('../../rotate/index.js');
  const edge = offlineEdge({
    nodes: String(values.nodes),
    reports: String(values.reports),
    ...(typeof values.pods === 'string' ? { pods: values.pods } : {}),
  });
  if (typeof values.pods !== 'string')
    io.stderr.write(
      'certdrift rotate: warning: no --pods: drains are shown without their evictions and refusals\n',
    );
  const planId = planIdOf(JSON.stringify(policy), typeof values.run === 'string' ? values.run : '');
  const run = await runStep(edge, { policy, planId, options, apply: false }, now);
  for (const p of run.problems)
    io.stderr.write(
      `certdrift rotate: warning: ${escapeTerminal(p.source)}: ${escapeTerminal(p.message)}\n`,
    );
  if (output === 'json')
    io.stdout.write(JSON.stringify(stepDocument(run.step, run.outcomes, false), null, 2) + '\n');
  else io.stdout.write(renderStepText(run.step, run.outcomes, false));
  const troubled = run.step.work.some((w) => w.state === 'stuck' || w.state === 'blocked');
  return troubled ? 1 : 0;
}

/** the cluster's client for this run, and certdrift's namespace (the Lease, state, Jobs) */
async function clientFor(
  values: Values,
  kubernetes: string,
  options: RotateOptions,
  io: Io,
): Promise<{
  client: import('../../adapters/kube/rotate-client.js').RotateClient;
  namespace: string;
}> {
  const { openCluster, podNamespace } = await import('../../adapters/kube/connect.js');
  const { RotateClient } = await import('../../adapters/kube/rotate-client.js');
  const { LEASE_NAMESPACE } = await import('../../adapters/kube/rotate-lock.js');
  const ua = `certdrift/${VERSION}`;
  const cluster = openCluster(kubernetes, io.env, ua);
  if (!cluster)
    throw new OperationalError('--kubernetes auto: not in a pod (no KUBERNETES_SERVICE_HOST)');
  const selector = selectorOf(values.selector);
  const fleetSelector = selectorOf(values['fleet-selector']);
  const namespace =
    typeof values.namespace === 'string'
      ? values.namespace
      : ((kubernetes === 'auto' ? podNamespace() : null) ?? LEASE_NAMESPACE);
  if (!DNS_LABEL.test(namespace))
    throw new UsageError('--namespace: expected a namespace name (a DNS-1123 label)');
  const image = inPlaceImageOf(values['in-place-image']);
  if (image !== undefined) options.inPlace = { namespace, image };
  const client = new RotateClient(cluster, ua, {
    namespace,
    ...(selector !== undefined ? { selector } : {}),
    ...(fleetSelector !== undefined ? { fleetSelector } : {}),
  });
  return { client, namespace };
}

/** how a step is printed, what exit code it asks for, and the end of a --wait run */
function outputsOf(rotation: Rotation, io: Io, mode: Mode) {
  const { renderStepText, stepDocument } = rotation;
  const { output, watch, apply } = mode;
  const render = (run: StepRun): void => {
    if (run.gate?.kind === 'refuse')
      io.stderr.write(`certdrift rotate: not starting nodes: ${escapeTerminal(run.gate.reason)}\n`);
    for (const p of run.problems)
      io.stderr.write(
        `certdrift rotate: warning: ${escapeTerminal(p.source)}: ${escapeTerminal(p.message)}\n`,
      );
    if (output === 'json' && watch)
      io.stdout.write(JSON.stringify(stepDocument(run.step, run.outcomes, apply)) + '\n');
    else if (output === 'json')
      io.stdout.write(JSON.stringify(stepDocument(run.step, run.outcomes, apply), null, 2) + '\n');
    else io.stdout.write(renderStepText(run.step, run.outcomes, apply));
  };
  const exitOf = (run: StepRun): number => {
    if (run.gate?.kind === 'refuse') return 3;
    const troubled =
      run.step.work.some((w) => w.state === 'stuck' || w.state === 'blocked') ||
      run.outcomes.some((o) => o.result === 'blocked' || o.result === 'failed');
    return troubled ? 1 : 0;
  };
  // --wait: the end of the run after its last step's report
  const report = (r: DriveResult, lost: boolean): number => {
    if (output === 'json')
      io.stdout.write(
        JSON.stringify(
          { ...stepDocument(r.last.step, r.last.outcomes, apply), run: runSummaryJson(r) },
          null,
          2,
        ) + '\n',
      );
    else io.stdout.write(renderStepText(r.last.step, r.last.outcomes, apply) + runSummaryText(r));
    if (r.end === 'refused') io.stderr.write(`certdrift rotate: ${escapeTerminal(r.message)}\n`);
    return Math.max(EXIT_OF_END[r.end], lost ? 1 : 0);
  };
  return { render, exitOf, report };
}
