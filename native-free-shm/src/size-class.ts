import { MAX_SIZE_CLASSES, MIN_CHUNK_SHIFT } from './layout.js';

/**
 * Size classes of the slab allocator, two schemes a zone chooses between at creation.
 * 'pow2' is nginx's. nginx cuts pages into power-of-two chunks, so a
 * block wastes up to half of itself and a quarter on average; a record of 50 header bytes
 * and a short key and value (95 bytes) would take 128. Here, as in jemalloc and mimalloc,
 * each doubling above 64 bytes is split into four classes:
 *
 *   8, 16, 24, 32, 40, 48, 56, 64 | 80, 96, 112, 128 | 160, 192, 224, 256 | 320, ... | half a page
 *
 * which bounds the waste to a fifth of a block (a tenth on average). This 'fine' scheme is
 * the default: it is what brings a short record's overhead under 64 bytes. 'pow2' stays
 * available, as K = 1 does for shards, so that the two can be measured side by side. A page holds
 * floor(pageSize / size) chunks; what is left at its end (under one chunk) is not used.
 * Every size is a multiple of 8, so every chunk stays 8-aligned for the f64 fields.
 */

const LINEAR_CLASSES = 8; // 8 to 64 bytes in steps of 8
const LINEAR_MAX_BYTES = LINEAR_CLASSES << MIN_CHUNK_SHIFT; // 64
const LINEAR_MAX_SHIFT = 6;
const CLASSES_PER_DOUBLING = 4;

/** Which classes a zone cuts its pages into: nginx's powers of two, or four per doubling. */
export type SizeClassScheme = 'pow2' | 'fine';
export const SCHEME_CODES: Record<SizeClassScheme, number> = { fine: 0, pow2: 1 };

/** One scheme's classes: sizes, the class of a request, chunks per page. */
export class SizeClasses {
  readonly scheme: SizeClassScheme;
  private readonly sizes = new Uint32Array(MAX_SIZE_CLASSES);
  private readonly classOf: (bytes: number) => number;

  constructor(scheme: SizeClassScheme) {
    this.scheme = scheme;
    this.classOf = scheme === 'pow2' ? pow2ClassOf : fineClassOf;
    for (let c = 0; c < MAX_SIZE_CLASSES; c++) this.sizes[c] = scheme === 'pow2' ? Math.min(2 ** (c + MIN_CHUNK_SHIFT), 2 ** 31) : fineSize(c);
  }

  /** Size class index of a request of 1 to half a page of bytes: 0 for 8 bytes, ... */
  sizeClassOf(bytes: number): number {
    return this.classOf(bytes);
  }

  /** Usable bytes of a chunk of class `cls`. */
  classSizeBytes(cls: number): number {
    return this.sizes[cls]!;
  }

  /** Number of classes for pages of 2^pageShift bytes: the largest is half a page. */
  count(pageShift: number): number {
    return this.classOf(1 << (pageShift - 1)) + 1;
  }

  /** Chunks of class `cls` in one page. */
  chunksPerPage(cls: number, pageSize: number): number {
    return Math.floor(pageSize / this.sizes[cls]!);
  }
}

function fineSize(c: number): number {
  if (c < LINEAR_CLASSES) return (c + 1) << MIN_CHUNK_SHIFT;
  const group = (c - LINEAR_CLASSES) >> 2;
  const step = (c - LINEAR_CLASSES) & 3;
  return (1 << (group + LINEAR_MAX_SHIFT)) + ((step + 1) << (group + LINEAR_MAX_SHIFT - 2));
}

function fineClassOf(bytes: number): number {
  if (bytes <= LINEAR_MAX_BYTES) return bytes <= 8 ? 0 : ((bytes + 7) >>> MIN_CHUNK_SHIFT) - 1;
  // bytes - 1 lies in [2^p, 2^(p+1)); the classes of that doubling are 2^p + k * 2^(p-2), k = 1..4.
  const p = 31 - Math.clz32(bytes - 1);
  const k = ((bytes - (1 << p) - 1) >>> (p - 2)) + 1;
  return LINEAR_CLASSES + (p - LINEAR_MAX_SHIFT) * CLASSES_PER_DOUBLING + k - 1;
}

/** nginx's ngx_slab: the smallest power of two from 8 bytes that holds the request. */
function pow2ClassOf(bytes: number): number {
  return bytes <= 8 ? 0 : 32 - Math.clz32(bytes - 1) - MIN_CHUNK_SHIFT;
}

export const FINE_CLASSES = new SizeClasses('fine');
export const POW2_CLASSES = new SizeClasses('pow2');

export function sizeClassesOf(code: number): SizeClasses {
  return code === SCHEME_CODES.pow2 ? POW2_CLASSES : FINE_CLASSES;
}

/** The default scheme's class of a request (kept for callers that name no zone). */
export function sizeClassOf(bytes: number): number {
  return FINE_CLASSES.sizeClassOf(bytes);
}

// Module-load checks: the classes grow, stay 8-aligned, and sizeClassOf inverts them.
for (const classes of [FINE_CLASSES, POW2_CLASSES]) {
  const count = classes.count(16);
  for (let c = 0; c < count; c++) {
    const size = classes.classSizeBytes(c);
    const smallest = c === 0 ? 1 : classes.classSizeBytes(c - 1) + 1;
    if (size % 8 !== 0 || classes.sizeClassOf(size) !== c || classes.sizeClassOf(smallest) !== c) {
      throw new Error(`native-free-shm: ${classes.scheme} size class ${c} (${size} bytes) is inconsistent`);
    }
  }
  if (count > MAX_SIZE_CLASSES || classes.classSizeBytes(count - 1) !== 1 << 15) {
    throw new Error('native-free-shm: MAX_SIZE_CLASSES must cover half of a 64 KiB page');
  }
}
