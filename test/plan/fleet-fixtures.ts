// Nodes and NodeCertificateReports shaped like real `kubectl get … -o json` output: the labels,
// annotations, spec and status fields kops, Cluster API, Karpenter, EKS, GKE and AKS put on
// their nodes (trimmed of the long image lists), wrapped in the v1 List kubectl prints.

const DAY = 86_400_000;
let serial = 0;

type Labels = Record<string, string>;
export interface NodeShape {
  name: string;
  created: Date;
  labels?: Labels;
  annotations?: Labels;
  providerID?: string;
  taints?: { key: string; effect: string }[];
  osImage?: string;
  runtime?: string;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

export function node(s: NodeShape): Record<string, unknown> {
  serial++;
  const ip = `10.${(serial >> 16) & 255}.${(serial >> 8) & 255}.${serial & 255}`;
  const ready = new Date(s.created.getTime() + 90_000).toISOString();
  const cond = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: ready,
    lastTransitionTime: ready,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: s.name,
      uid: `${hex(serial * 2654435761, 8)}-4b1c-4e0a-9f1d-${hex(serial * 40503, 12)}`,
      resourceVersion: String(1_000_000 + serial * 7),
      creationTimestamp: s.created.toISOString().replace('.000Z', 'Z'),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': s.name,
        'kubernetes.io/os': 'linux',
        ...s.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...s.annotations,
      },
    },
    spec: {
      podCIDR: `100.96.${serial & 255}.0/24`,
      podCIDRs: [`100.96.${serial & 255}.0/24`],
      ...(s.providerID ? { providerID: s.providerID } : {}),
      ...(s.taints ? { taints: s.taints } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: s.name },
      ],
      allocatable: {
        cpu: '1930m',
        'ephemeral-storage': '95491281146',
        memory: '7179304Ki',
        pods: '110',
      },
      capacity: { cpu: '2', 'ephemeral-storage': '103865288Ki', memory: '7934504Ki', pods: '110' },
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'kubelet has sufficient PID available',
        ),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      images: [
        { names: ['registry.k8s.io/kube-proxy:v1.31.4'], sizeBytes: 30_230_147 },
        { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320_368 },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: `${hex(serial * 97, 8)}-1111-4222-8333-${hex(serial * 131, 12)}`,
        containerRuntimeVersion: s.runtime ?? 'containerd://1.7.25',
        kernelVersion: '6.8.0-1021-aws',
        kubeProxyVersion: 'v1.31.4',
        kubeletVersion: 'v1.31.4',
        machineID: hex(serial * 7919, 32),
        operatingSystem: 'linux',
        osImage: s.osImage ?? 'Ubuntu 24.04.1 LTS',
        systemUUID: `ec2${hex(serial, 5)}-0000-0000-0000-000000000000`,
      },
    },
  };
}

const zone = (z: string): Labels => ({
  'topology.kubernetes.io/region': z.slice(0, -1),
  'topology.kubernetes.io/zone': z,
  'failure-domain.beta.kubernetes.io/region': z.slice(0, -1),
  'failure-domain.beta.kubernetes.io/zone': z,
});

/** a kops node: instance-group label, EC2 instance name, kops role labels */
export function kopsNode(
  name: string,
  ig: string,
  created: Date,
  controlPlane = false,
): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `aws:///us-east-1a/${name}`,
    labels: {
      ...zone('us-east-1a'),
      'kops.k8s.io/instancegroup': ig,
      'node.kubernetes.io/instance-type': controlPlane ? 'c5.xlarge' : 'm5.large',
      ...(controlPlane
        ? {
            'node-role.kubernetes.io/control-plane': '',
            'kops.k8s.io/kops-controller-pki': '',
            'node.kubernetes.io/exclude-from-external-load-balancers': '',
          }
        : { 'node-role.kubernetes.io/node': '' }),
    },
    annotations: { 'alpha.kubernetes.io/provided-node-ip': '172.20.44.12' },
    taints: controlPlane
      ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]
      : undefined,
  });
}

/** a Cluster API node: the Machine controller's annotations name the owning MachineSet */
export function capiNode(name: string, machineSet: string, created: Date): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `aws:///eu-west-1b/i-0${hex(serial * 31, 16)}`,
    labels: { ...zone('eu-west-1b'), 'node-role.kubernetes.io/worker': '' },
    annotations: {
      'cluster.x-k8s.io/cluster-name': 'prod',
      'cluster.x-k8s.io/cluster-namespace': 'default',
      'cluster.x-k8s.io/machine': `${machineSet}-${hex(serial * 17, 5)}`,
      'cluster.x-k8s.io/owner-kind': 'MachineSet',
      'cluster.x-k8s.io/owner-name': machineSet,
      'cluster.x-k8s.io/labels-from-machine': '',
    },
  });
}

export function karpenterNode(name: string, pool: string, created: Date): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `aws:///us-west-2a/i-0${hex(serial * 37, 16)}`,
    osImage: 'Bottlerocket OS 1.29.0 (aws-k8s-1.31)',
    labels: {
      ...zone('us-west-2a'),
      'karpenter.sh/nodepool': pool,
      'karpenter.sh/capacity-type': 'spot',
      'karpenter.sh/initialized': 'true',
      'karpenter.sh/registered': 'true',
      'karpenter.k8s.aws/instance-family': 'm6i',
      'karpenter.k8s.aws/instance-size': 'xlarge',
      'node.kubernetes.io/instance-type': 'm6i.xlarge',
    },
    annotations: {
      'karpenter.k8s.aws/ec2nodeclass-hash': '8112638596416138547',
      'karpenter.sh/nodepool-hash': '6821555240594823858',
    },
  });
}

export function eksNode(name: string, nodegroup: string, created: Date): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `aws:///us-west-2b/i-0${hex(serial * 41, 16)}`,
    osImage: 'Amazon Linux 2023.6.20250115',
    labels: {
      ...zone('us-west-2b'),
      'eks.amazonaws.com/nodegroup': nodegroup,
      'eks.amazonaws.com/capacityType': 'ON_DEMAND',
      'eks.amazonaws.com/nodegroup-image': 'ami-0a5f04cdf7758e9f0',
      'eks.amazonaws.com/sourceLaunchTemplateId': 'lt-0e5b4f1a2c3d4e5f6',
      'node.kubernetes.io/instance-type': 'm5.xlarge',
    },
  });
}

export function gkeNode(name: string, pool: string, created: Date): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `gce://prod-project/us-central1-a/${name}`,
    osImage: 'Container-Optimized OS from Google',
    labels: {
      ...zone('us-central1-a'),
      'cloud.google.com/gke-nodepool': pool,
      'cloud.google.com/gke-boot-disk': 'pd-balanced',
      'cloud.google.com/gke-container-runtime': 'containerd',
      'cloud.google.com/machine-family': 'e2',
      'node.kubernetes.io/instance-type': 'e2-standard-4',
    },
    annotations: { 'container.googleapis.com/instance_id': String(4_000_000_000_000 + serial) },
  });
}

export function aksNode(name: string, pool: string, created: Date): Record<string, unknown> {
  return node({
    name,
    created,
    providerID: `azure:///subscriptions/0000/resourceGroups/mc_prod/providers/Microsoft.Compute/virtualMachineScaleSets/${name.replace(/0+\d$/, '')}/virtualMachines/0`,
    osImage: 'Ubuntu 22.04.5 LTS',
    labels: {
      ...zone('eastus1'),
      agentpool: pool,
      'kubernetes.azure.com/agentpool': pool,
      'kubernetes.azure.com/cluster': 'MC_prod_prod_eastus',
      'kubernetes.azure.com/mode': 'system',
      'kubernetes.azure.com/role': 'agent',
      'node.kubernetes.io/instance-type': 'Standard_D4s_v5',
    },
  });
}

/** a node nothing groups: kubeadm on bare metal */
export function plainNode(name: string, created: Date): Record<string, unknown> {
  return node({ name, created, labels: { 'node-role.kubernetes.io/worker': '' } });
}

export function nodeList(items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** a NodeCertificateReport as the agent publishes it (deploy/base/crd.yaml, src/adapters/kube/publish.ts) */
export function report(
  name: string,
  deadline: Date,
  scannedAt: Date,
  marginDays = 30,
): Record<string, unknown> {
  return {
    apiVersion: 'certdrift.io/v1alpha1',
    kind: 'NodeCertificateReport',
    metadata: {
      name,
      uid: `5e${hex(++serial * 2246822519, 6)}-0c1d-4e2f-8a3b-${hex(serial * 3266489917, 12)}`,
      resourceVersion: String(2_000_000 + serial),
      generation: 1,
      creationTimestamp: scannedAt.toISOString().replace('.000Z', 'Z'),
    },
    status: {
      scannedAt: scannedAt.toISOString(),
      deadline: deadline.toISOString(),
      replaceBy: new Date(deadline.getTime() - marginDays * DAY).toISOString(),
      worstSeverity: 'ok',
      certificates: 6,
      staleViews: 0,
      notReloaded: 0,
      findings: [],
    },
  };
}

export const daysFrom = (at: Date, days: number): Date => new Date(at.getTime() + days * DAY);
