// `certdrift lab`: kops #16400 reproduced for real on this machine's containerd + runc. The work
// is lab/'s (lab-steps.ts); this file reads the flags, escapes what is shown, hands SIGINT and
// SIGTERM to `lab kubelet`, and maps a lab that cannot run to exit 3.

import {
  labDown,
  labKubelet,
  labRestart,
  labRotate,
  labStatus,
  labUp,
  type LabOutput,
} from '../../lab/lab-steps.js';
import { LabUnavailable } from '../../lab/lab-pod.js';
import { escapeTerminalLines } from '../../model/escape.js';
import type { CommandDef, Io, Values } from '../command.js';
import { UsageError } from '../command.js';
import { OperationalError } from '../errors.js';
import { stopOnSignals } from '../signals.js';

const DEFAULT_DIR = '/tmp/certdrift-lab';

// Lab output shows paths, certificate fields and container logs: no control character passes.
function labOutput(io: Io): LabOutput {
  return {
    out: (text) => void io.stdout.write(escapeTerminalLines(text)),
    err: (text) => void io.stderr.write(escapeTerminalLines(text)),
  };
}

async function runLab(values: Values, positionals: string[], io: Io): Promise<number> {
  const dir = typeof values.dir === 'string' ? values.dir : DEFAULT_DIR;
  const sub = positionals[0];
  const o = labOutput(io);
  const days = (fallback: number): number => {
    const d = typeof values.days === 'string' ? Number(values.days) : fallback;
    if (!Number.isInteger(d) || d < 1)
      throw new UsageError(`--days: expected a whole number of days, got ${String(values.days)}`);
    return d;
  };
  switch (sub) {
    case 'up': {
      const style = values.mount ?? 'file';
      if (style !== 'file' && style !== 'dir')
        throw new UsageError(`--mount: expected file or dir, got ${String(style)}`);
      await labUp(dir, style, days(5), o);
      return 0;
    }
    case 'rotate':
      labRotate(dir, days(455), o);
      return 0;
    case 'restart':
      await labRestart(dir, o);
      return 0;
    case 'status':
      await labStatus(dir, o);
      return 0;
    case 'kubelet':
      await labKubelet(dir, o, stopOnSignals().signal);
      return 0;
    case 'down':
      await labDown(dir, o);
      return 0;
    default:
      throw new UsageError(
        `expected a subcommand (up, rotate, restart, status, kubelet, down), got ${sub === undefined ? 'none' : JSON.stringify(sub)}`,
      );
  }
}

export const labCommand: CommandDef = {
  name: 'lab',
  summary: 'reproduce kops #16400 for real on this machine (containerd + runc)',
  usage:
    'certdrift lab up|rotate|restart|status|kubelet|down [--dir DIR] [--mount file|dir] [--days N]',
  description: [
    "Runs Debian's containerd privately under --dir with a kube-proxy static pod shaped like kops",
    'renders it: its kubeconfig (embedded client certificate) mounted as a single file (kops ≤ 1.35)',
    'or as its directory (--mount dir, kops ≥ 1.36), propagation None.',
    '',
    '  up       start containerd, import a busybox image built offline, run the pod',
    '  rotate   renew the kubeconfig the way nodeup does: write a temp file, rename it over',
    "  restart  recreate the kube-proxy container (kubelet's part after a stop)",
    '  status   containers, and the kubeconfig certificate inside the container vs on the node',
    '  kubelet  play kubelet until stopped: restart stopped static pod containers from the manifest',
    '           in <dir>/host/etc/kubernetes/manifests (what `certdrift fix --apply` relies on)',
    '  down     remove pods, stop containerd and its shims by PID, undo mounts, delete --dir',
    '',
    'Needs root and the packages containerd, runc, busybox-static. `npm run demo` tells the whole story.',
  ].join('\n'),
  options: {
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'where the lab keeps everything',
      shownDefault: DEFAULT_DIR,
    },
    mount: {
      type: 'string',
      value: 'STYLE',
      description: 'up: file (kops ≤ 1.35) or dir (kops ≥ 1.36)',
      shownDefault: 'file',
    },
    days: {
      type: 'string',
      value: 'N',
      description: 'validity of the issued kube-proxy certificate',
      shownDefault: 'up 5, rotate 455',
    },
  },
  examples: [
    'certdrift lab up && certdrift lab rotate && certdrift lab status',
    "certdrift scan --preset none --path '/tmp/certdrift-lab/host/**' --runtime-endpoint /tmp/certdrift-lab/containerd.sock",
    'certdrift lab down',
  ],
  run: async (values, positionals, io) => {
    try {
      return await runLab(values, positionals, io);
    } catch (err) {
      if (err instanceof LabUnavailable) throw new OperationalError(err.message, { cause: err });
      throw err;
    }
  },
};
