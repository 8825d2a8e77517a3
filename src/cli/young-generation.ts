// V8 grows its young generation (the semi-spaces scavenges copy between) from 1 MB up to 16 MB
// or more per semi-space when a program allocates fast, and keeps it: a cold scan of 10,000
// certificates allocates mostly short-lived garbage and ended with a 93 MB heap for 28 MB of live
// data. Growth off (factor 1) keeps the nursery at its initial size: peak RSS of that scan 165 →
// 114 MB, ~0.1 s more CPU in more, smaller scavenges (BENCHMARKS.md, issue #25). The agent's
// worker gets the same effect from `--max-semi-space-size=1` on its command line; a process that
// is already running (the CLI, the agent) can only change the growth factor, which V8 reads each
// time it would grow the space.

import { setFlagsFromString } from 'node:v8';

export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
