export { ShmAssertionError } from './assert.js';
export { checkZone } from './check.js';
export { copyBytes, viewOf } from './copy.js';
export { ZoneCursor, type RecordVisitor } from './cursor.js';
export { autoShards, computeGeometry, type Geometry, type ZoneOptions } from './geometry.js';
export { hashBytes } from './hash.js';
export { MAX_KEY_BYTES_LIMIT, MAX_SHARDS, MAX_ZONE_BYTES, RECORD_HEADER_BYTES, USER_AREA_BYTES } from './layout.js';
export { ZoneMemory } from './memory.js';
export { DEFAULT_SPIN_ROUNDS, forceUnlockWord, lockWord, tryLockWord, unlockWord } from './mutex.js';
export { readStats, type SlabClassStats, type ZoneStats } from './stats.js';
export { RecordVersion } from './table.js';
export { decodeText, encodeText, utf8Length } from './text.js';
export {
  APPLY_IGNORED, APPLY_INSERTED, APPLY_NO_MEMORY, APPLY_REPLACED, ShmZone, WRITE_NO_MEMORY, WRITE_OK,
  compareVersion, copyScratchText, scratchText, scratchTextBytes, type ApplyStatus, type AttachOptions, type WriteStatus,
  type ZoneHandle,
} from './zone.js';
// The slab allocator on its own, for modules that keep more than records in a shard (under the
// shard's lock, after ShmZone.markDirtyLocked: lock-free readers must know of the change).
export { sizeClassOf, slabAlloc, slabBlockSize, slabFree, slabMaxBlock } from './slab.js';
export { FINE_CLASSES, POW2_CLASSES, SizeClasses, type SizeClassScheme } from './size-class.js';
