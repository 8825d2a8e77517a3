// Builds a one-layer OCI image from Debian's busybox-static, offline, and imports it into the
// lab containerd's k8s.io namespace (the only one the CRI plugin sees). The same image serves as
// the sandbox ("pause") image.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
  return packOciImage({
    rootfs,
    work,
    name,
    // As the sandbox (pause) image it must run until stopped, and exit on SIGTERM (PID 1 shell).
    config: {
      Env: ['PATH=/bin'],
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"],
    },
  });
}

/** The image's runtime settings (the `config` object of an OCI image configuration). */
export interface OciRunConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
}

/**
 * Packs `rootfs` as a one-layer OCI image layout tarball (`<work>/image.tar`) whose index names
 * it `name` for `ctr images import`. The layer is reproducible (sorted, root-owned, mtime 0);
 * `gzip: false` keeps it uncompressed (valid OCI, faster to build in tests).
 */
export function packOciImage(p: {
  rootfs: string;
  work: string;
  name: string;
  config: OciRunConfig;
  gzip?: boolean;
}): string {
  const gzip = p.gzip ?? true;
  const layerTar = join(p.work, 'layer.tar');
  execFileSync('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-C',
    p.rootfs,
    '-cf',
    layerTar,
    '.',
  ]);
  const diffId = sha256File(layerTar);
  if (gzip) execFileSync('gzip', ['-n', '-f', layerTar]);
  const layerPath = gzip ? `${layerTar}.gz` : layerTar;
  const layerDigest = gzip ? sha256File(layerPath) : diffId;
  const layerSize = statSync(layerPath).size;
  const layout = join(p.work, 'layout');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  renameSync(layerPath, join(layout, 'blobs/sha256', layerDigest));
  const config = JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    os: 'linux',
    config: p.config,
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
        mediaType: `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`,
        digest: `sha256:${layerDigest}`,
        size: layerSize,
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
            'io.containerd.image.name': p.name,
            'org.opencontainers.image.ref.name': p.name.slice(p.name.lastIndexOf(':') + 1),
          },
        },
      ],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const out = join(p.work, 'image.tar');
  execFileSync('tar', ['-C', layout, '-cf', out, '.']);
  rmSync(layout, { recursive: true, force: true });
  return out;
}

/** sha256 of a file, streamed by coreutils (image layers are far larger than a read buffer). */
function sha256File(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).slice(0, 64);
}

export function importImage(socket: string, tarPath: string): void {
  execFileSync(
    'ctr',
    ['--address', socket, '-n', 'k8s.io', 'images', 'import', '--all-platforms', tarPath],
    { stdio: 'pipe' },
  );
}
