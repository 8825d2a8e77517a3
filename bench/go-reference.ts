// Issue #11: the cold scan against a Go-stdlib scanner of the same tree (bench/go-walker), built
// here with the `go` on PATH, timed in the same run as certdrift. Since issue #25 it does the same
// per-certificate work as `scan -o json` (SANs, status, one indented document written at the end).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../test/support/scan.js';
import { runInterleaved, runMany } from './measure.js';

export interface GoReference {
  go: string;
  certificates: number;
  medianMs: number;
  minMs: number;
  medianCpuMs: number;
  peakRssMb: number;
}

/**
 * null (with the reason logged) when Go is not installed. With `versus` (certdrift's command),
 * the two are timed interleaved and certdrift's figures come back too.
 */
export function benchGo(
  tree: string,
  runs: number,
  log: (s: string) => void,
  versus?: string[],
): (GoReference & { versus?: ReturnType<typeof runMany> }) | null {
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    log('skipping the Go reference scanner: `go` not found (apt-get install golang-go)');
    return null;
  }
  const bin = join(REPO, '.bench', 'go-walker');
  const build = spawnSync('go', ['build', '-o', bin, join(REPO, 'bench/go-walker/main.go')], {
    encoding: 'utf8',
    env: { ...process.env, GOCACHE: join(REPO, '.bench', 'gocache'), GOFLAGS: '' },
  });
  if (build.status !== 0) throw new Error(`go build failed: ${build.stderr}`);
  const check = spawnSync(bin, [tree], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const certificates = (JSON.parse(check.stdout) as { certificates: unknown[] }).certificates
    .length;
  log(
    `Go reference (${version.stdout.trim()}) sees ${certificates} certificates; timing ${runs} runs…`,
  );
  const [r, other] = versus
    ? runInterleaved([bin, tree], versus, runs)
    : [runMany([bin, tree], runs), undefined];
  return {
    ...(other ? { versus: other } : {}),
    go: version.stdout.trim(),
    certificates,
    medianMs: r.medianMs,
    minMs: r.minMs,
    medianCpuMs: r.medianCpuMs,
    peakRssMb: r.peakRssMb,
  };
}
