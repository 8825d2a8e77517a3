// One gzip member from a large prefix compressed once and a small suffix compressed per scan.
// The per-certificate families (megabytes on a big node) change only when certificates do; the
// node-level series after them change every scan. Compressing the whole body each scan cost more
// CPU than the rest of an unchanged rescan. Here the prefix is deflated once with a sync flush —
// its blocks end on a byte boundary and none is marked final (RFC 1951 §3.2.3) — and each scan
// appends a fresh deflate stream of the suffix (its own final block; it does not refer back into
// the prefix) and the trailer: CRC-32 and length of the whole body (RFC 1952 §2.3.1), the CRC
// continued over the suffix from the prefix's. The result is a single, ordinary gzip member, the
// technique pigz uses to compress blocks independently.

import { promisify } from 'node:util';
import { constants, crc32, deflateRaw as deflateRawCb } from 'node:zlib';

const deflateRaw = promisify(deflateRawCb);

export interface DeflatedPrefix {
  /** raw deflate blocks, none final, ending on a byte boundary */
  readonly deflated: Buffer;
  /** CRC-32 of the uncompressed prefix */
  readonly crc: number;
  /** uncompressed length */
  readonly length: number;
}

const LEVEL = 6;

export async function deflatePrefix(prefix: Uint8Array): Promise<DeflatedPrefix> {
  const deflated = await deflateRaw(prefix, {
    level: LEVEL,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  return { deflated, crc: crc32(prefix), length: prefix.length };
}

/** gzip header: magic, deflate, no flags, no mtime, no extra flags, OS 3 (Unix), as zlib writes. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** The gzip member of `prefix` followed by `suffix`. */
export async function gzipAfter(prefix: DeflatedPrefix, suffix: Uint8Array): Promise<Buffer> {
  // The CRC first: after an asynchronous deflate of an empty buffer, crc32() of it returned 0
  // instead of the value passed in (Node 20.20, measured by the empty-suffix test).
  const crc = suffix.length === 0 ? prefix.crc : crc32(suffix, prefix.crc);
  const tail = await deflateRaw(suffix, { level: LEVEL });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  // ISIZE: the length modulo 2^32 (RFC 1952)
  trailer.writeUInt32LE((prefix.length + suffix.length) % 2 ** 32, 4);
  return Buffer.concat([HEADER, prefix.deflated, tail, trailer]);
}
