import { assert } from './assert.js';
import {
  LAYOUT_VERSION, ZONE_MAGIC, Z_BUCKETS, Z_DESCS_OFFSET, Z_LAYOUT, Z_MAGIC, Z_MAX_KEY_BYTES,
  Z_PAGES, Z_PAGES_OFFSET, Z_PAGE_SHIFT, Z_SHARDS, Z_SHARD_STRIDE_BYTES, Z_SIZE_BYTES,
  ZONE_HEADER_BYTES, Z_KEY_SUFFIX_BYTES, Z_SIZE_CLASSES, Z_EVICT,
} from './layout.js';
import { sizeClassesOf, type SizeClasses } from './size-class.js';

/**
 * One thread's handle on a zone's memory: typed views over the shared buffer and the
 * geometry read from the zone header. The shared words live in the buffer; this object
 * holds only what each thread keeps for itself (nginx's ngx_shmtx_t beside ngx_shmtx_sh_t).
 */
export class ZoneMemory {
  readonly buffer: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  readonly f64: Float64Array;
  /** The whole buffer, for copies and word compares of key and value bytes (copy.ts). */
  readonly view: DataView;
  readonly sizeBytes: number;
  readonly shardCount: number;
  readonly shardStrideBytes: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly bucketCount: number;
  readonly bucketMask: number;
  readonly pagesPerShard: number;
  readonly maxKeyBytes: number;
  readonly descsOffset: number;
  readonly pagesOffset: number;
  /** Trailing key bytes the hash leaves out. */
  readonly keySuffixBytes: number;
  /** A full shard evicts live records (Z_EVICT = 1), or only removes expired ones. */
  readonly evictLive: boolean;
  /** Largest small size class (half a page); larger blocks are runs of whole pages. */
  readonly maxSmallShift: number;
  /** Number of small size classes, the largest being half a page (size-class.ts). */
  readonly classCount: number;
  /** The zone's size classes (fine by default, or nginx's powers of two). */
  readonly classes: SizeClasses;

  constructor(buffer: SharedArrayBuffer) {
    assert(buffer instanceof SharedArrayBuffer, 'zone buffer must be a SharedArrayBuffer');
    assert(buffer.byteLength >= ZONE_HEADER_BYTES, 'zone buffer is smaller than a zone header');
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
    this.view = new DataView(buffer);
    const h = this.u32;
    if (h[Z_MAGIC] !== ZONE_MAGIC) throw new Error('buffer does not hold a native-free-shm zone (bad magic)');
    if (h[Z_LAYOUT] !== LAYOUT_VERSION) {
      throw new Error(`zone layout version ${h[Z_LAYOUT]} is not supported (expected ${LAYOUT_VERSION})`);
    }
    this.sizeBytes = h[Z_SIZE_BYTES]!;
    assert(this.sizeBytes === buffer.byteLength, 'zone header size disagrees with buffer size');
    this.shardCount = h[Z_SHARDS]!;
    this.shardStrideBytes = h[Z_SHARD_STRIDE_BYTES]!;
    this.pageShift = h[Z_PAGE_SHIFT]!;
    this.pageSize = 1 << this.pageShift;
    this.bucketCount = h[Z_BUCKETS]!;
    this.bucketMask = this.bucketCount - 1;
    this.pagesPerShard = h[Z_PAGES]!;
    this.maxKeyBytes = h[Z_MAX_KEY_BYTES]!;
    this.descsOffset = h[Z_DESCS_OFFSET]!;
    this.pagesOffset = h[Z_PAGES_OFFSET]!;
    this.keySuffixBytes = h[Z_KEY_SUFFIX_BYTES]!;
    this.evictLive = h[Z_EVICT] === 1;
    this.maxSmallShift = this.pageShift - 1;
    this.classes = sizeClassesOf(h[Z_SIZE_CLASSES]!);
    this.classCount = this.classes.count(this.pageShift);
    assert((this.bucketCount & this.bucketMask) === 0, 'bucket count must be a power of two');
    assert(ZONE_HEADER_BYTES + this.shardCount * this.shardStrideBytes <= this.sizeBytes, 'shards overrun the zone');
  }

  /** Byte offset of shard `index`'s base. */
  shardBase(index: number): number {
    return ZONE_HEADER_BYTES + index * this.shardStrideBytes;
  }
}
