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

/** The platforms an image is built for, as OCI names them (`platform.architecture`). */
export type OciArchitecture = 'amd64' | 'arm64';

/** An OCI content descriptor. */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI 1.1's empty descriptor: the config of an artifact that has none. */
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', content: '{}' };

/** Writes `content` as a blob of the layout and returns its descriptor. */
function putBlob(layout: string, mediaType: string, content: string | Buffer): OciDescriptor {
  const digest = sha256(content);
  writeFileSync(join(layout, 'blobs/sha256', digest), content);
  return { mediaType, digest: `sha256:${digest}`, size: Buffer.byteLength(content) };
}

/**
 * Packs `rootfs` as one layer into the layout's blobs, with its config and manifest, and returns
 * the manifest's descriptor (with its platform). The layer is reproducible (sorted, root-owned,
 * mtime 0); `gzip: false` keeps it uncompressed (valid OCI, faster to build in tests).
 */
export function addOciImage(
  layout: string,
  p: {
    rootfs: string;
    work: string;
    config: OciRunConfig;
    architecture: OciArchitecture;
    gzip: boolean;
  },
): OciDescriptor {
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const layerTar = join(p.work, `layer-${p.architecture}.tar`);
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
  if (p.gzip) execFileSync('gzip', ['-n', '-f', layerTar]);
  const layerPath = p.gzip ? `${layerTar}.gz` : layerTar;
  const layerDigest = p.gzip ? sha256File(layerPath) : diffId;
  const layerSize = statSync(layerPath).size;
  renameSync(layerPath, join(layout, 'blobs/sha256', layerDigest));
  const config = putBlob(
    layout,
    'application/vnd.oci.image.config.v1+json',
    JSON.stringify({
      architecture: p.architecture,
      os: 'linux',
      config: p.config,
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    }),
  );
  const manifest = putBlob(
    layout,
    MANIFEST,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config,
      layers: [
        {
          mediaType: `application/vnd.oci.image.layer.v1.tar${p.gzip ? '+gzip' : ''}`,
          digest: `sha256:${layerDigest}`,
          size: layerSize,
        },
      ],
    }),
  );
  return { ...manifest, platform: { architecture: p.architecture, os: 'linux' } };
}

/** What `ctr images import` names an image by: the index.json entry's annotations. */
function nameAnnotations(name: string): Record<string, string> {
  return {
    'io.containerd.image.name': name,
    'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1),
  };
}

/** Writes index.json and oci-layout, tars the layout to `<work>/image.tar` and removes it. */
function finishLayout(layout: string, work: string, entries: OciDescriptor[]): string {
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: entries }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const out = join(work, 'image.tar');
  execFileSync('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-C',
    layout,
    '-cf',
    out,
    '.',
  ]);
  rmSync(layout, { recursive: true, force: true });
  return out;
}

/**
 * Packs `rootfs` as a one-layer OCI image layout tarball (`<work>/image.tar`) whose index names
 * it `name` for `ctr images import`, for this machine's architecture.
 */
export function packOciImage(p: {
  rootfs: string;
  work: string;
  name: string;
  config: OciRunConfig;
  gzip?: boolean;
}): string {
  const layout = join(p.work, 'layout');
  const manifest = addOciImage(layout, {
    rootfs: p.rootfs,
    work: p.work,
    config: p.config,
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    gzip: p.gzip ?? true,
  });
  delete manifest.platform;
  return finishLayout(layout, p.work, [{ ...manifest, annotations: nameAnnotations(p.name) }]);
}

/** A document attached to the index as an OCI 1.1 artifact whose `subject` is the index. */
export interface OciAttachment {
  artifactType: string;
  content: string;
  /** the blob's file name (org.opencontainers.image.title) */
  title: string;
}

/**
 * Packs one image per platform into an OCI image layout tarball (`<work>/image.tar`): an image
 * index listing each platform's manifest (named `name` for `ctr images import`), and each
 * attachment as an artifact manifest (`artifactType`, its `subject` the index) listed in the
 * layout's index.json beside it, where OCI image-layout 1.1 keeps referrers. Same inputs, same
 * bytes: nothing in it depends on the time or the machine.
 */
export function packOciIndex(p: {
  images: { rootfs: string; architecture: OciArchitecture }[];
  work: string;
  name: string;
  config: OciRunConfig;
  gzip: boolean;
  attachments: OciAttachment[];
}): { tar: string; index: OciDescriptor; images: OciDescriptor[]; attachments: OciDescriptor[] } {
  const layout = join(p.work, 'layout');
  const images = p.images.map((i) =>
    addOciImage(layout, { ...i, work: p.work, config: p.config, gzip: p.gzip }),
  );
  const index = putBlob(
    layout,
    INDEX,
    JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: images }),
  );
  const empty = putBlob(layout, EMPTY.mediaType, EMPTY.content);
  const attachments = p.attachments.map((a) => {
    const blob = putBlob(layout, a.artifactType, a.content);
    const manifest = putBlob(
      layout,
      MANIFEST,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        artifactType: a.artifactType,
        config: empty,
        layers: [{ ...blob, annotations: { 'org.opencontainers.image.title': a.title } }],
        subject: index,
      }),
    );
    return { ...manifest, artifactType: a.artifactType };
  });
  const tar = finishLayout(layout, p.work, [
    { ...index, annotations: nameAnnotations(p.name) },
    ...attachments,
  ]);
  return { tar, index, images, attachments };
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
