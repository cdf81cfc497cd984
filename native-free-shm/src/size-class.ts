import { MAX_SIZE_CLASSES, MIN_CHUNK_SHIFT } from './layout.js';

/**
 * Size classes of the slab allocator. nginx cuts pages into power-of-two chunks, so a
 * block wastes up to half of itself and a quarter on average; a record of 50 header bytes
 * and a short key and value (95 bytes) would take 128. Here, as in jemalloc and mimalloc,
 * each doubling above 64 bytes is split into four classes:
 *
 *   8, 16, 24, 32, 40, 48, 56, 64 | 80, 96, 112, 128 | 160, 192, 224, 256 | 320, ... | half a page
 *
 * which bounds the waste to a fifth of a block (a tenth on average). A page holds
 * floor(pageSize / size) chunks; what is left at its end (under one chunk) is not used.
 * Every size is a multiple of 8, so every chunk stays 8-aligned for the f64 fields.
 */

const LINEAR_CLASSES = 8; // 8 to 64 bytes in steps of 8
const LINEAR_MAX_BYTES = LINEAR_CLASSES << MIN_CHUNK_SHIFT; // 64
const LINEAR_MAX_SHIFT = 6;
const CLASSES_PER_DOUBLING = 4;

/** Bytes of each class. */
const SIZES = new Uint32Array(MAX_SIZE_CLASSES);
for (let c = 0; c < MAX_SIZE_CLASSES; c++) {
  if (c < LINEAR_CLASSES) {
    SIZES[c] = (c + 1) << MIN_CHUNK_SHIFT;
  } else {
    const group = (c - LINEAR_CLASSES) >> 2;
    const step = (c - LINEAR_CLASSES) & 3;
    SIZES[c] = (1 << (group + LINEAR_MAX_SHIFT)) + ((step + 1) << (group + LINEAR_MAX_SHIFT - 2));
  }
}

/** Size class index of a request of 1 to half a page of bytes: 0 for 8 bytes, 1 for 16, ... */
export function sizeClassOf(bytes: number): number {
  if (bytes <= LINEAR_MAX_BYTES) return bytes <= 8 ? 0 : ((bytes + 7) >>> MIN_CHUNK_SHIFT) - 1;
  // bytes - 1 lies in [2^p, 2^(p+1)); the classes of that doubling are 2^p + k * 2^(p-2), k = 1..4.
  const p = 31 - Math.clz32(bytes - 1);
  const k = ((bytes - (1 << p) - 1) >>> (p - 2)) + 1;
  return LINEAR_CLASSES + (p - LINEAR_MAX_SHIFT) * CLASSES_PER_DOUBLING + k - 1;
}

/** Usable bytes of a chunk of class `cls`. */
export function classSizeBytes(cls: number): number {
  return SIZES[cls]!;
}

/** Number of classes for pages of 2^pageShift bytes: the largest is half a page. */
export function sizeClassCount(pageShift: number): number {
  return sizeClassOf(1 << (pageShift - 1)) + 1;
}

/** Chunks of class `cls` in one page. */
export function chunksPerPage(cls: number, pageSize: number): number {
  return Math.floor(pageSize / SIZES[cls]!);
}

// Module-load checks: the classes grow, stay 8-aligned, and sizeClassOf inverts them.
for (let c = 0; c < MAX_SIZE_CLASSES; c++) {
  const size = SIZES[c]!;
  if (size % 8 !== 0 || (c > 0 && size <= SIZES[c - 1]!) || sizeClassOf(size) !== c || sizeClassOf(size - 7) !== c) {
    throw new Error(`native-free-shm: size class ${c} (${size} bytes) is inconsistent`);
  }
}
if (sizeClassCount(16) !== MAX_SIZE_CLASSES || SIZES[MAX_SIZE_CLASSES - 1] !== 1 << 15) {
  throw new Error('native-free-shm: MAX_SIZE_CLASSES must cover half of a 64 KiB page');
}
