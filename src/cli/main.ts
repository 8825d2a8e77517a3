// The composition root: picks the command, loads it lazily (the CLI starts fast), maps errors to
// exit codes. The only place that sets the process exit code.

import { escapeTerminal } from '../model/escape.js';
import { UsageError, parseCommandArgs, renderHelp, type CommandDef, type Io } from './command.js';
import { OperationalError } from './errors.js';
import { keepYoungGenerationSmall } from './young-generation.js';
import { skipTurbofanForOneShot } from './one-shot-tiers.js';
import { silenceLibraryWarnings } from './library-warnings.js';
import { VERSION } from './version.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandDef> }> = {
  scan: {
    summary: 'list every certificate this node depends on, with expiry and the node deadline',
    load: async () => (await import('./commands/scan.js')).scanCommand,
  },
  audit: {
    summary:
      'find manifests that set up certificate drift (single-file mounts, subPath, propagation)',
    load: async () => (await import('./commands/audit.js')).auditCommand,
  },
  fix: {
    summary: 'repair manifests, recreate stale containers, prune leftovers (plan first, --apply)',
    load: async () => (await import('./commands/fix.js')).fixCommand,
  },
  renew: {
    summary: 'renew certificates in place, restart their consumers, prove it (plan first, --apply)',
    load: async () => (await import('./commands/renew.js')).renewCommand,
  },
  plan: {
    summary: 'which nodes to replace, in what order, by when — before any certificate expires',
    load: async () => (await import('./commands/plan.js')).planCommand,
  },
  rotate: {
    summary: 'carry out the plan: drive kops, Cluster API, Karpenter or a drain (dry run; --apply)',
    load: async () => (await import('./commands/rotate.js')).rotateCommand,
  },
  fleet: {
    summary:
      'every node of the cluster: deadline, agent coverage, kubelet CSRs (+ strict approver)',
    load: async () => (await import('./commands/fleet.js')).fleetCommand,
  },
  attribute: {
    summary: 'name the node and component behind x509 failures in the API server log, and why',
    load: async () => (await import('./commands/attribute.js')).attributeCommand,
  },
  agent: {
    summary: 'watch the node: rescan on an interval, serve Prometheus /metrics, /healthz, /readyz',
    load: async () => (await import('./commands/agent.js')).agentCommand,
  },
  lab: {
    summary: 'reproduce kops #16400 for real on this machine (containerd + runc)',
    load: async () => (await import('./commands/lab.js')).labCommand,
  },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'certdrift — keeps Kubernetes nodes from dying of certificate problems',
    '',
    'Usage: certdrift <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    '',
    "Run `certdrift <command> --help` for a command's options. `certdrift --version` prints the version.",
    'Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (nothing checked, usage or operational error).',
    '',
  ].join('\n');
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target !== undefined && COMMANDS[target]) {
      io.stdout.write(renderHelp(await COMMANDS[target].load()));
      return 0;
    }
    io.stdout.write(topHelp());
    return name === undefined ? 3 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`certdrift ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`certdrift: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return 3;
  }
  const def = await entry.load();
  try {
    const { values, positionals, help } = parseCommandArgs(def, rest);
    if (help) {
      io.stdout.write(renderHelp(def));
      return 0;
    }
    return await def.run(values, positionals, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(
        `certdrift ${def.name}: ${escapeTerminal(err.message)}\nRun \`certdrift ${def.name} --help\` for usage.\n`,
      );
      return 3;
    }
    // Configuration, operational and unexpected errors alike: exit 3 (unknown). The message is
    // one line (a line break in it came from data and is shown escaped); the details an
    // OperationalError lays out follow on lines of their own, each escaped.
    const message = err instanceof Error ? err.message : String(err);
    const details = err instanceof OperationalError ? err.details : [];
    io.stderr.write(
      [`certdrift ${def.name}: ${message}`, ...details]
        .map((l) => escapeTerminal(l) + '\n')
        .join(''),
    );
    if (
      !(err instanceof OperationalError) &&
      err instanceof Error &&
      err.name !== 'ConfigError' &&
      io.env.CERTDRIFT_DEBUG
    ) {
      io.stderr.write(`${err.stack ?? ''}\n`);
    }
    return 3;
  }
}

export async function main(argv: string[]): Promise<void> {
  silenceLibraryWarnings();
  // before the command's modules load: their compilation alone would grow the nursery to 8 MB
  if (argv[0] === 'scan' || argv[0] === 'agent') keepYoungGenerationSmall();
  if (argv[0] === 'scan') skipTurbofanForOneShot();
  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}
