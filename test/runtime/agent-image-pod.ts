// The agent's DaemonSet, rendered by `kubectl kustomize deploy/base`, turned into the CRI
// requests kubelet would send for it — so the in-container test runs exactly what the manifest
// declares and follows it when it changes. Every field of the pod template is either mapped to
// CRI, or listed below with the reason it cannot matter in the lab; an unknown field fails the
// test instead of being silently dropped.

import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../support/scan.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  mountPropagation?: 'None' | 'HostToContainer' | 'Bidirectional';
}
interface SecurityContext {
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  [k: string]: unknown;
}
export interface AgentContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  securityContext?: SecurityContext;
  volumeMounts?: VolumeMount[];
  resources?: { limits?: { memory?: string }; requests?: Record<string, string> };
  ports?: { name: string; containerPort: number }[];
  [k: string]: unknown;
}
export interface AgentPodSpec {
  hostPID?: boolean;
  hostNetwork?: boolean;
  containers: AgentContainer[];
  volumes?: {
    name: string;
    hostPath?: { path: string; type?: string };
    secret?: { secretName: string; defaultMode?: number };
  }[];
  [k: string]: unknown;
}

/** Pod-spec fields the lab cannot exercise (no API server, scheduler or kubelet), and why. */
const POD_FIELDS_OUTSIDE_LAB: Record<string, string> = {
  priorityClassName: 'scheduling and eviction order',
  tolerations: 'scheduling',
  nodeSelector: 'scheduling',
  affinity: 'scheduling',
  automountServiceAccountToken: 'API credentials',
  terminationGracePeriodSeconds: 'the test stops the container itself',
  dnsPolicy: 'no cluster DNS in the lab (the API server is reached by address)',
};
const POD_FIELDS_MAPPED = ['hostPID', 'hostNetwork', 'containers', 'volumes', 'serviceAccountName'];

/** Container fields the lab does not exercise, and why. */
const CONTAINER_FIELDS_OUTSIDE_LAB: Record<string, string> = {
  ports: 'informational for containerPort without hostPort; the lab pod uses the node network',
  readinessProbe: 'the test polls /readyz itself, as kubelet would',
  livenessProbe: 'the test polls /healthz itself, as kubelet would',
  imagePullPolicy: 'the image is imported, never pulled',
};
const CONTAINER_FIELDS_MAPPED = [
  'name',
  'image',
  'command',
  'args',
  'env',
  'securityContext',
  'volumeMounts',
  'resources',
];

/**
 * Security-context fields that need a kernel feature this machine lacks (AppArmor, SELinux);
 * containerd would refuse or ignore them here, so they are left out with a note.
 */
const SECURITY_FIELDS_OUTSIDE_LAB: Record<string, string> = {
  appArmorProfile: 'AppArmor is not enabled on the lab machine',
  seLinuxOptions: 'SELinux is not enabled on the lab machine',
  seccompProfile: "containerd applies RuntimeDefault itself; the lab doesn't assert on it",
};
const SECURITY_FIELDS_MAPPED = [
  'runAsUser',
  'readOnlyRootFilesystem',
  'allowPrivilegeEscalation',
  'privileged',
  'capabilities',
];

export function renderDaemonSet(): { spec: AgentPodSpec; raw: string } | { error: string } {
  const r = spawnSync('kubectl', ['kustomize', `${REPO}deploy/base`], { encoding: 'utf8' });
  if (r.error) return { error: 'kubectl is not installed (needed for `kubectl kustomize`)' };
  if (r.status !== 0) throw new Error(`kubectl kustomize deploy/base: ${r.stderr}`);
  const ds = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as { kind: string; spec: { template: { spec: AgentPodSpec } } })
    .find((o) => o.kind === 'DaemonSet');
  if (!ds) throw new Error('deploy/base renders no DaemonSet');
  return { spec: ds.spec.template.spec, raw: r.stdout };
}

function unknownKeys(obj: object, mapped: string[], outside: Record<string, string>): string[] {
  return Object.keys(obj).filter((k) => !mapped.includes(k) && !(k in outside));
}

/** Kubernetes memory quantity (Mi, Gi, M, plain bytes) in bytes. */
export function bytesOf(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (!m) throw new Error(`unsupported memory quantity ${q}`);
  const unit: Record<string, number> = {
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(m[1]) * (m[2] ? (unit[m[2]] ?? 1) : 1);
}

const PROPAGATION = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
} as const;

export interface CriAgentConfigs {
  sandbox: Record<string, unknown>;
  container: Record<string, unknown>;
  /** what the lab could not apply, for the test's diagnostics */
  outsideLab: string[];
  /** DirectoryOrCreate host paths (after `hostPaths` mapping): kubelet creates them, 0755 */
  createDirs: string[];
}

/**
 * The CRI sandbox and container configs kubelet derives from the pod spec (kubelet's
 * kuberuntime_sandbox.go / kuberuntime_container_linux.go / securitycontext), with `nodeName`
 * for the downward API. `hostRoot` maps a hostPath of `/` to where the lab's node lives.
 */
export function criConfigsOf(
  pod: AgentPodSpec,
  p: {
    podName: string;
    namespace: string;
    nodeName: string;
    logDir: string;
    /** host paths moved for the lab, e.g. the state directory to a temp dir of the test's */
    hostPaths?: Record<string, string>;
    /** the node's address (downward API status.hostIP) */
    hostIP: string;
    /** where each Secret's files are on the lab's node (kubelet's secret volume) */
    secrets: Record<string, string>;
    /**
     * what kubelet gives a pod with a service account: the projected token and CA (a directory
     * with `token` and `ca.crt`) at /var/run/secrets/kubernetes.io/serviceaccount, and the
     * API server's address in KUBERNETES_SERVICE_HOST/PORT (pkg/kubelet/kubelet_pods.go)
     */
    serviceAccount: { dir: string; host: string; port: string };
  },
): CriAgentConfigs {
  const outsideLab: string[] = [];
  const createDirs: string[] = [];
  const bad = unknownKeys(pod, POD_FIELDS_MAPPED, POD_FIELDS_OUTSIDE_LAB);
  if (bad.length > 0)
    throw new Error(`pod spec fields the lab test does not map: ${bad.join(', ')}`);
  for (const k of Object.keys(pod))
    if (k in POD_FIELDS_OUTSIDE_LAB) outsideLab.push(`${k}: ${POD_FIELDS_OUTSIDE_LAB[k] ?? ''}`);
  if (pod.containers.length !== 1) throw new Error('expected one container');
  const c = pod.containers[0];
  if (!c) throw new Error('no container');
  const badC = unknownKeys(c, CONTAINER_FIELDS_MAPPED, CONTAINER_FIELDS_OUTSIDE_LAB);
  if (badC.length > 0)
    throw new Error(`container fields the lab test does not map: ${badC.join(', ')}`);
  const sc = c.securityContext ?? {};
  const badS = unknownKeys(sc, SECURITY_FIELDS_MAPPED, SECURITY_FIELDS_OUTSIDE_LAB);
  if (badS.length > 0)
    throw new Error(`securityContext fields the lab test does not map: ${badS.join(', ')}`);
  for (const k of Object.keys(sc))
    if (k in SECURITY_FIELDS_OUTSIDE_LAB)
      outsideLab.push(`${k}: ${SECURITY_FIELDS_OUTSIDE_LAB[k] ?? ''}`);

  const labels = {
    'io.kubernetes.pod.name': p.podName,
    'io.kubernetes.pod.namespace': p.namespace,
    'io.kubernetes.pod.uid': `lab-${p.podName}`,
  };
  const sandbox = {
    metadata: { name: p.podName, namespace: p.namespace, uid: `lab-${p.podName}`, attempt: 0 },
    hostname: '',
    logDirectory: p.logDir,
    labels,
    annotations: {},
    linux: {
      securityContext: {
        // No CNI on the lab machine: the pod shares the node's network (docs/real-runtime.md).
        namespaceOptions: {
          network: 'NODE',
          pid: pod.hostPID === true ? 'NODE' : 'POD',
          ipc: 'POD',
        },
      },
    },
  };
  if (pod.hostNetwork !== true)
    outsideLab.push('pod network: the lab has no CNI, node network used');

  const env = (c.env ?? []).map((e) => {
    if (e.value !== undefined) return { key: e.name, value: e.value };
    if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName')
      return { key: e.name, value: p.nodeName };
    if (e.valueFrom?.fieldRef?.fieldPath === 'status.hostIP')
      return { key: e.name, value: p.hostIP };
    throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
  });
  if (pod.serviceAccountName !== undefined)
    env.push(
      { key: 'KUBERNETES_SERVICE_HOST', value: p.serviceAccount.host },
      { key: 'KUBERNETES_SERVICE_PORT', value: p.serviceAccount.port },
    );
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const mounts = (c.volumeMounts ?? []).map((m) => {
    const v = volumes.get(m.name);
    if (v?.secret) {
      const dir = p.secrets[v.secret.secretName];
      if (!dir) throw new Error(`volume ${m.name}: no files for Secret ${v.secret.secretName}`);
      // kubelet mounts a Secret volume read-only whatever the mount says (pkg/volume/secret)
      return {
        containerPath: m.mountPath,
        hostPath: dir,
        readonly: true,
        propagation: PROPAGATION.None,
      };
    }
    if (!v?.hostPath) throw new Error(`volume ${m.name} is neither a hostPath nor a Secret`);
    const hostPath = p.hostPaths?.[v.hostPath.path] ?? v.hostPath.path;
    if (hostPath !== v.hostPath.path) outsideLab.push(`hostPath ${v.hostPath.path} at ${hostPath}`);
    // kubelet (pkg/volume/hostpath): DirectoryOrCreate makes the directory, mode 0755
    if (v.hostPath.type === 'DirectoryOrCreate') createDirs.push(hostPath);
    else if (v.hostPath.type !== 'Directory')
      throw new Error(`volume ${m.name}: hostPath type ${String(v.hostPath.type)} not mapped`);
    return {
      containerPath: m.mountPath,
      hostPath,
      readonly: m.readOnly === true,
      propagation: PROPAGATION[m.mountPropagation ?? 'None'],
    };
  });
  if (pod.serviceAccountName !== undefined)
    mounts.push({
      containerPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      hostPath: p.serviceAccount.dir,
      readonly: true,
      propagation: PROPAGATION.None,
    });
  const limit = c.resources?.limits?.memory;
  const container = {
    metadata: { name: c.name, attempt: 0 },
    image: { image: c.image },
    ...(c.command ? { command: c.command.map((x) => expand(x, env)) } : {}),
    args: (c.args ?? []).map((x) => expand(x, env)),
    envs: env,
    mounts,
    logPath: `${c.name}/0.log`,
    labels: { ...labels, 'io.kubernetes.container.name': c.name },
    annotations: {},
    linux: {
      ...(limit ? { resources: { memoryLimitInBytes: bytesOf(limit) } } : {}),
      securityContext: {
        privileged: sc.privileged === true,
        namespaceOptions: sandbox.linux.securityContext.namespaceOptions,
        capabilities: {
          addCapabilities: sc.capabilities?.add ?? [],
          dropCapabilities: sc.capabilities?.drop ?? [],
        },
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        readonlyRootfs: sc.readOnlyRootFilesystem === true,
        // kubelet: allowPrivilegeEscalation=false sets no_new_privs.
        noNewPrivs: sc.allowPrivilegeEscalation === false,
      },
    },
  };
  return { sandbox, container, outsideLab, createDirs };
}

/**
 * kubelet's expansion of `$(VAR)` in command and args from the container's env
 * (third_party/forked/golang/expansion): `$$` is a literal `$`, an undefined name stays as written.
 */
export function expand(text: string, env: { key: string; value: string }[]): string {
  const vars = new Map(env.map((e) => [e.key, e.value]));
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) =>
    name === undefined ? '$' : (vars.get(name) ?? whole),
  );
}
