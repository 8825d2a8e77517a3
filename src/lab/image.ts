// Builds a one-layer OCI image from Debian's busybox-static, offline, and imports it into the
// lab containerd's k8s.io namespace (the only one the CRI plugin sees). The same image serves as
// the sandbox ("pause") image.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const APPLETS = [
  'sh',
  'sleep',
  'cat',
  'ls',
  'stat',
  'sha256sum',
  'mount',
  'true',
  'echo',
  'grep',
  'head',
];

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export function buildImageTar(work: string, name: string): string {
  rmSync(work, { recursive: true, force: true });
  const rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'var/lib/kube-proxy', 'run'])
    mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  const layerTar = join(work, 'layer.tar');
  execFileSync('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-C',
    rootfs,
    '-cf',
    layerTar,
    '.',
  ]);
  const diffId = sha256(readFileSync(layerTar));
  execFileSync('gzip', ['-n', '-f', layerTar]);
  const layer = readFileSync(`${layerTar}.gz`);
  const layerDigest = sha256(layer);
  const layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(layout, 'blobs/sha256', layerDigest), layer);
  const config = JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    // As the sandbox (pause) image it must run until stopped, and exit on SIGTERM (PID 1 shell).
    config: {
      Env: ['PATH=/bin'],
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"],
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
  });
  writeFileSync(join(layout, 'blobs/sha256', sha256(config)), config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${sha256(config)}`,
      size: Buffer.byteLength(config),
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: `sha256:${layerDigest}`,
        size: layer.length,
      },
    ],
  });
  writeFileSync(join(layout, 'blobs/sha256', sha256(manifest)), manifest);
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha256(manifest)}`,
          size: Buffer.byteLength(manifest),
          annotations: {
            'io.containerd.image.name': name,
            'org.opencontainers.image.ref.name': '1',
          },
        },
      ],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const out = join(work, 'image.tar');
  execFileSync('tar', ['-C', layout, '-cf', out, '.']);
  return out;
}

export function importImage(socket: string, tarPath: string): void {
  execFileSync(
    'ctr',
    ['--address', socket, '-n', 'k8s.io', 'images', 'import', '--all-platforms', tarPath],
    { stdio: 'pipe' },
  );
}
