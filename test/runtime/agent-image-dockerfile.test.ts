// deploy/Dockerfile (for people with Docker) and `npm run image` (offline) build the same image:
// Node.js 24 LTS, the app under the same directory, the same entry point, arguments and
// environment. The offline image's settings live in scripts/build-image.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IMAGE_CONFIG } from '../../scripts/build-image.js';
import { REPO } from '../support/scan.js';

const lines = readFileSync(`${REPO}deploy/Dockerfile`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'));
const final = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));
const instruction = (name: string): string[] =>
  final.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

test('both images run Node.js 24 LTS', () => {
  assert.deepEqual(
    lines.filter((l) => l.startsWith('FROM ')).map((l) => l.split(' ')[1]),
    ['node:24-bookworm-slim', 'node:24-bookworm-slim'],
  );
});

test('the Dockerfile declares the offline image’s entry point, arguments and directory', () => {
  assert.deepEqual(
    instruction('ENTRYPOINT').map((j) => JSON.parse(j) as unknown),
    [IMAGE_CONFIG.Entrypoint],
  );
  assert.deepEqual(
    instruction('CMD').map((j) => JSON.parse(j) as unknown),
    [IMAGE_CONFIG.Cmd],
  );
  assert.deepEqual(instruction('WORKDIR'), [IMAGE_CONFIG.WorkingDir]);
  assert.deepEqual(instruction('RUN'), [
    `ln -s ${IMAGE_CONFIG.WorkingDir}/bin/certdrift.js ${IMAGE_CONFIG.Entrypoint[0] ?? ''}`,
  ]);
  // node:24 sets PATH itself; anything else set here would have to be in IMAGE_CONFIG too.
  assert.deepEqual(instruction('ENV'), []);
});

test('the Dockerfile copies what the offline image contains', () => {
  const copied = instruction('COPY').map((c) => c.split(' ').at(-1));
  assert.deepEqual(copied.sort(), ['./', './bin', './dist', './node_modules', './proto'].sort());
});
