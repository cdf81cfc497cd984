import {
  CACHE_LINE_BYTES, DESC_WORDS, LAYOUT_VERSION, MAX_KEY_BYTES_LIMIT, MAX_SHARDS, MAX_ZONE_BYTES,
  OWNER_SEQ_BASE, SHARD_HEADER_BYTES, ZONE_HEADER_BYTES, ZONE_MAGIC, Z_BUCKETS, Z_DESCS_OFFSET, Z_LAYOUT,
  Z_MAGIC, Z_MAX_KEY_BYTES, Z_OWNER_SEQ, Z_PAGES, Z_PAGES_OFFSET, Z_PAGE_SHIFT, Z_SHARDS,
  Z_SHARD_STRIDE_BYTES, Z_SIZE_BYTES, Z_KEY_SUFFIX_BYTES, MAX_KEY_SUFFIX_BYTES, Z_SIZE_CLASSES, Z_EVICT,
} from './layout.js';
import { SCHEME_CODES, type SizeClassScheme } from './size-class.js';

export interface ZoneOptions {
  /** Total bytes of the zone, header included (nginx's `zone=name:SIZE`). */
  sizeBytes: number;
  /** Number of shards, a power of two from 1 (nginx's single mutex) to 256; default: auto. */
  shards?: number;
  /** Slab page size, a power of two from 1 KiB to 64 KiB; default 4096. */
  pageSize?: number;
  /** Longest key in bytes; default 256, at most 65535. */
  maxKeyBytes?: number;
  /** Average bytes per record the hash table is sized for (one bucket each); default 128. */
  bytesPerBucket?: number;
  /**
   * Trailing key bytes the hash leaves out (0 to 8, default 0): keys that differ only there
   * land in the same shard and bucket, so they can be visited together (keyGroupLocked).
   */
  keySuffixBytes?: number;
  /** Slab size classes: 'fine' (default, four per doubling above 64 B) or 'pow2' (nginx's). */
  sizeClasses?: SizeClassScheme;
  /**
   * What a full shard does for a write: 'lru' (default) evicts least recently used records,
   * as nginx does; 'expired' removes only expired records, and the write fails
   * (WRITE_NO_MEMORY / APPLY_NO_MEMORY) rather than lose a live one.
   */
  eviction?: 'lru' | 'expired';
}

export interface Geometry {
  sizeBytes: number;
  shards: number;
  pageShift: number;
  maxKeyBytes: number;
  strideBytes: number;
  buckets: number;
  pages: number;
  descsOffset: number;
  pagesOffset: number;
  keySuffixBytes: number;
  sizeClasses: SizeClassScheme;
  evictLive: boolean;
}

const MIN_PAGES_PER_SHARD = 4;
const MIN_SHARD_BYTES_FOR_AUTO = 64 * 1024;
const MAX_AUTO_SHARDS = 16;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function floorPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** The default shard count: as many as fit with at least 64 KiB each, up to 16. */
export function autoShards(sizeBytes: number): number {
  return Math.max(1, Math.min(MAX_AUTO_SHARDS, floorPowerOfTwo(Math.floor(sizeBytes / MIN_SHARD_BYTES_FOR_AUTO))));
}

/** Validates options and computes where everything goes; throws RangeError on bad options. */
export function computeGeometry(options: ZoneOptions): Geometry {
  const sizeBytes = options.sizeBytes;
  if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes > MAX_ZONE_BYTES) {
    throw new RangeError(`zone size must be a whole number of bytes from 1 to ${MAX_ZONE_BYTES}, not ${sizeBytes}`);
  }
  const pageSize = options.pageSize ?? 4096;
  if (!isPowerOfTwo(pageSize) || pageSize < 1024 || pageSize > 65536) {
    throw new RangeError(`page size must be a power of two from 1024 to 65536, not ${pageSize}`);
  }
  const shards = options.shards ?? autoShards(sizeBytes);
  if (!isPowerOfTwo(shards) || shards > MAX_SHARDS) {
    throw new RangeError(`shard count must be a power of two from 1 to ${MAX_SHARDS}, not ${shards}`);
  }
  const maxKeyBytes = options.maxKeyBytes ?? 256;
  if (!Number.isInteger(maxKeyBytes) || maxKeyBytes < 1 || maxKeyBytes > MAX_KEY_BYTES_LIMIT) {
    throw new RangeError(`max key bytes must be from 1 to ${MAX_KEY_BYTES_LIMIT}, not ${maxKeyBytes}`);
  }
  const keySuffixBytes = options.keySuffixBytes ?? 0;
  if (!Number.isInteger(keySuffixBytes) || keySuffixBytes < 0 || keySuffixBytes > MAX_KEY_SUFFIX_BYTES || keySuffixBytes >= maxKeyBytes) {
    throw new RangeError(`key suffix bytes must be from 0 to ${MAX_KEY_SUFFIX_BYTES} and less than the key limit, not ${keySuffixBytes}`);
  }
  const sizeClasses = options.sizeClasses ?? 'fine';
  if (sizeClasses !== 'fine' && sizeClasses !== 'pow2') throw new RangeError(`size classes must be fine or pow2, not ${String(sizeClasses)}`);
  const eviction = options.eviction ?? 'lru';
  if (eviction !== 'lru' && eviction !== 'expired') throw new RangeError(`eviction must be lru or expired, not ${String(eviction)}`);
  const bytesPerBucket = options.bytesPerBucket ?? 128;
  const strideBytes = Math.floor((sizeBytes - ZONE_HEADER_BYTES) / shards / CACHE_LINE_BYTES) * CACHE_LINE_BYTES;
  const buckets = Math.max(8, floorPowerOfTwo(Math.max(1, Math.floor(strideBytes / bytesPerBucket))));
  const fixed = SHARD_HEADER_BYTES + buckets * 4 + CACHE_LINE_BYTES;
  const pages = Math.floor((strideBytes - fixed) / (pageSize + DESC_WORDS * 4));
  if (strideBytes <= fixed || pages < MIN_PAGES_PER_SHARD) {
    const need = ZONE_HEADER_BYTES + shards * (fixed + MIN_PAGES_PER_SHARD * (pageSize + DESC_WORDS * 4));
    throw new RangeError(`zone size ${sizeBytes} is too small for ${shards} shard(s) of ${MIN_PAGES_PER_SHARD} pages: need at least ${need} bytes`);
  }
  const descsOffset = SHARD_HEADER_BYTES + buckets * 4;
  const pagesOffset = alignUp(descsOffset + pages * DESC_WORDS * 4, CACHE_LINE_BYTES);
  return {
    sizeBytes, shards, pageShift: Math.log2(pageSize), maxKeyBytes, strideBytes, buckets, pages, descsOffset, pagesOffset, keySuffixBytes, sizeClasses,
    evictLive: eviction === 'lru',
  };
}

export function writeZoneHeader(u32: Uint32Array, g: Geometry): void {
  u32[Z_MAGIC] = ZONE_MAGIC;
  u32[Z_LAYOUT] = LAYOUT_VERSION;
  u32[Z_SIZE_BYTES] = g.sizeBytes;
  u32[Z_SHARDS] = g.shards;
  u32[Z_SHARD_STRIDE_BYTES] = g.strideBytes;
  u32[Z_PAGE_SHIFT] = g.pageShift;
  u32[Z_BUCKETS] = g.buckets;
  u32[Z_PAGES] = g.pages;
  u32[Z_MAX_KEY_BYTES] = g.maxKeyBytes;
  u32[Z_OWNER_SEQ] = OWNER_SEQ_BASE;
  u32[Z_DESCS_OFFSET] = g.descsOffset;
  u32[Z_PAGES_OFFSET] = g.pagesOffset;
  u32[Z_KEY_SUFFIX_BYTES] = g.keySuffixBytes;
  u32[Z_SIZE_CLASSES] = SCHEME_CODES[g.sizeClasses];
  u32[Z_EVICT] = g.evictLive ? 1 : 0;
}
