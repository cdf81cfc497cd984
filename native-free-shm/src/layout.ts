/**
 * Byte layout of a zone's SharedArrayBuffer. Every field has a constant here; offsets in
 * shared memory are absolute byte offsets into the buffer, and 0 means "none" (the zone
 * header sits at byte 0, so no record, page or chunk can ever live there).
 *
 *   zone header (ZONE_HEADER_BYTES) | shard 0 | shard 1 | ... | shard K-1
 *   shard: header (SHARD_HEADER_BYTES) | buckets (u32 × B) | page descriptors | pages
 */

export const ZONE_MAGIC = 0x5a53484d; // "ZSHM"
/** 4: keys hashed with MurmurHash3 (hash.ts), which decides their shard and bucket. 5: Z_EVICT. */
export const LAYOUT_VERSION = 5;
export const CACHE_LINE_BYTES = 64;

/** Zone header, in 32-bit words. Written once by create(), read-only afterwards except Z_OWNER_SEQ. */
export const ZONE_HEADER_BYTES = 1024;
export const Z_MAGIC = 0;
export const Z_LAYOUT = 1;
export const Z_SIZE_BYTES = 2;
export const Z_SHARDS = 3;
export const Z_SHARD_STRIDE_BYTES = 4;
export const Z_PAGE_SHIFT = 5;
export const Z_BUCKETS = 6;
export const Z_PAGES = 7;
export const Z_MAX_KEY_BYTES = 8;
export const Z_OWNER_SEQ = 9;
export const Z_DESCS_OFFSET = 10; // relative to the shard's base
export const Z_PAGES_OFFSET = 11; // relative to the shard's base
/** Trailing key bytes left out of the hash, so that keys differing only there share a bucket. */
export const Z_KEY_SUFFIX_BYTES = 12;
/** Size class scheme: 0 fine (four per doubling), 1 pow2 (nginx's). */
export const Z_SIZE_CLASSES = 13;
/**
 * Eviction: 1 = a full shard evicts least recently used records (nginx's limit_req and
 * sticky zones); 0 = it only removes expired records, and a write that finds no room fails
 * (a zone whose records must not be lost silently, such as keyval's).
 */
export const Z_EVICT = 14;
export const MAX_KEY_SUFFIX_BYTES = 8;
/** Bytes the zone's owner module may use as it likes (its own settings, bitmaps). */
export const USER_AREA_OFFSET = 256;
export const USER_AREA_BYTES = ZONE_HEADER_BYTES - USER_AREA_OFFSET;

/** Owner ids handed out by attach() without an explicit id start here, above any thread id. */
export const OWNER_SEQ_BASE = 1 << 24;

/** Shard header, in 32-bit words from the shard's base. */
export const SHARD_HEADER_BYTES = 1088;
/**
 * The lock word, its waiter count and the sequence word share the shard's first cache line,
 * alone. S_SEQ (seqlock.ts) is odd exactly while a lock holder is in the middle of changing
 * the shard; it only ever grows (mod 2^32), and a shard reset leaves it alone.
 */
export const S_LOCK = 0;
export const S_WAITERS = 1;
export const S_SEQ = 2;
/** Second line: owner id of a thread in the middle of a mutation, 0 otherwise. */
export const S_DIRTY = 16;
export const S_RECORDS = 17;
export const S_PENDING = 18;
export const S_EVICTIONS = 19;
export const S_ALLOC_FAILURES = 20;
export const S_EXPIRED = 21;
export const S_LRU_HEAD = 22;
export const S_LRU_TAIL = 23;
export const S_OUT_HEAD = 24;
export const S_OUT_TAIL = 25;
export const S_FREE_RUNS = 26; // head of the list of free page runs: page index + 1, 0 = none
export const S_FREE_PAGES = 27;
export const S_RESETS = 28;
/** Records of the shard that are tombstones (FLAG_TOMBSTONE): S_RECORDS less these are live or expired. */
export const S_TOMBSTONES = 29;
/** Third line: touched by waiters only, so contention counting does not disturb the lock line. */
export const S_LOCK_WAITS = 32;
/** Per size class statistics, SLAB_STAT_WORDS words each. */
export const S_CLASS_STATS = 48;
export const SLAB_STAT_WORDS = 4;
export const STAT_TOTAL = 0; // chunks in pages of this class
export const STAT_USED = 1;
export const STAT_REQS = 2;
export const STAT_FAILS = 3;
/** Size classes of a 64 KiB page (see size-class.ts); smaller pages use the first ones. */
export const MAX_SIZE_CLASSES = 44;
/** Head of each class's list of pages with a free chunk: page index + 1, 0 = none. */
export const S_PARTIAL = S_CLASS_STATS + MAX_SIZE_CLASSES * SLAB_STAT_WORDS; // 224
export const S_LARGE_STATS = S_PARTIAL + MAX_SIZE_CLASSES; // 268: [pages used, reqs, fails]

/** Page descriptor, in 32-bit words. Links are page index + 1 (0 = none). */
export const DESC_WORDS = 6;
export const P_TAG = 0;
export const P_SPAN = 1; // free head: run length; free tail: head index; small: class; large: run length
export const P_NEXT = 2;
export const P_PREV = 3;
export const P_FREE_CHUNK = 4; // small page: byte offset of its first free chunk, 0 = full
export const P_USED = 5; // small page: chunks in use

export const TAG_NONE = 0; // inside a free run, or inside a large allocation
export const TAG_FREE = 1; // first page of a free run
export const TAG_FREE_TAIL = 2; // last page of a free run longer than one page
export const TAG_SMALL = 3; // page cut into chunks of one size class
export const TAG_LARGE = 4; // first page of a run holding one large allocation

export const MIN_CHUNK_SHIFT = 3; // 8 bytes

/**
 * Record, in bytes from its (8-aligned) offset. Links are absolute byte offsets, 0 = none.
 * Key bytes follow the header (they need no alignment, so the header is 50 bytes, not
 * rounded up); the value follows the key, with spare room up to the chunk's end so that a
 * value that grows a little is updated in place.
 *
 * The key's hash is not stored: lookups compare the key's length, then its bytes, and the
 * rare paths that need the bucket of a stored record (unlinking it) hash its key again.
 * Four bytes per record buy more than the hash check saves on chains this short.
 */
export const R_HASH_NEXT = 0;
export const R_LRU_PREV = 4;
export const R_LRU_NEXT = 8;
export const R_OUT_PREV = 12;
export const R_OUT_NEXT = 16;
export const R_ORIGIN = 20;
export const R_VALUE_LEN = 24;
export const R_KEY_LEN = 28; // u16
export const R_FLAGS = 30; // u8
export const R_USER = 31; // u8, the owner module's
export const R_STAMP_MS = 32; // f64
export const R_EXPIRE_AT = 40; // f64, ms since the epoch, 0 = never
export const R_LOGICAL = 48; // u16: a stamp's logical counter never exceeds 0xffff (HLC, wire u64)
export const R_KEY = 50;
export const RECORD_HEADER_BYTES = R_KEY;
export const MAX_LOGICAL = 0xffff;

export const FLAG_TOMBSTONE = 1;
export const FLAG_QUEUED = 2; // linked in the shard's output queue
/**
 * Used since it last went to the LRU head: instead of moving a record to the head on every
 * read (three cache lines written), a read sets this bit, and eviction gives a record that
 * carries it a second chance (to the head, bit cleared) before it takes one that does not.
 * This is the CLOCK approximation of LRU.
 */
export const FLAG_REFERENCED = 4;

export const MAX_KEY_BYTES_LIMIT = 0xffff;
export const MAX_ZONE_BYTES = 1 << 30;
export const MAX_SHARDS = 256;

// Module-load checks that the constants agree.
if (R_STAMP_MS % 8 !== 0 || R_EXPIRE_AT % 8 !== 0 || R_LOGICAL % 2 !== 0 || R_KEY_LEN % 2 !== 0) {
  throw new Error('native-free-shm: record fields must be aligned to their size');
}
if (S_LOCK_WAITS * 4 < 2 * CACHE_LINE_BYTES || S_DIRTY * 4 !== CACHE_LINE_BYTES) {
  throw new Error('native-free-shm: lock line must be alone on its cache line');
}
if (S_SEQ * 4 >= CACHE_LINE_BYTES || S_SEQ <= S_WAITERS || S_WAITERS <= S_LOCK) {
  throw new Error('native-free-shm: the sequence word must have its own word on the lock line');
}
if ((S_LARGE_STATS + 3) * 4 > SHARD_HEADER_BYTES) {
  throw new Error('native-free-shm: shard header overflows');
}
