// A zone's change ring: a bounded SharedArrayBuffer that every thread writing the zone
// appends each change to (a local write or delete, a record merged from a peer), and that
// one consumer, the node's journal thread, drains into the zone's journal file. The
// zone's output queue cannot serve: it is the sync thread's, and it holds records, not
// changes (a record rewritten twice is queued once, a record removed leaves it).
//
// Bounded, never blocking: a producer that finds no room drops the change and raises the
// OVERFLOW flag; the consumer, on seeing it, writes a full snapshot of the zone instead
// (docs/DECISIONS.md "Persistence"). A dropped change is in the zone before the flag is
// raised, so a snapshot begun after the flag was taken holds it (or a newer version).
//
// Layout (bytes): a 256-byte header, then DATA bytes (a power of two).
//   word 0   lock word (owner id: threadId + 1), word 1 its sleepers, word 2 lock waits
//   word 16  HEAD: bytes ever appended, mod 2^32 (written by producers under the lock)
//   word 32  TAIL: bytes ever consumed, mod 2^32 (written by the consumer only)
//   word 48  OVERFLOW (0/1), word 49 DROPPED (changes dropped, mod 2^32), word 50 capacity
// An entry starts 4-aligned: a u32 body length, then the body (change-entry.ts), padded
// to 4. An entry never wraps: where one would not fit before the end, the u32 SKIP stands
// there and the entry starts at offset 0, so the consumer hands out each body as one run.
//
// Producers serialize on the ring's lock, which they take after the zone's shard lock
// when they take both (a merge appends under its shard lock), never before it. HEAD is
// stored after the entry's bytes and TAIL after the consumer is done with them, both by
// Atomics, so that each side sees the other's bytes complete.

import { copyBytes, lockWord, forceUnlockWord, unlockWord, viewOf } from 'native-free-shm';
import { ENTRY_HEADER_BYTES, writeEntryHeader, type EntryVersion } from './change-entry.js';

const LOCK = 0;
const LOCK_WAITS = 2;
const HEAD = 16;
const TAIL = 32;
const OVERFLOW = 48;
const DROPPED = 49;
const CAPACITY = 50;
const DATA = 256;
const SKIP = 0xffffffff;
const SPIN_ROUNDS = 4;

export const MIN_RING_BYTES = 4096;
export const MAX_RING_BYTES = 1 << 30;

/** Bytes an entry of `keyLength` and `valueLength` takes in the ring. */
export function ringEntryBytes(keyLength: number, valueLength: number): number {
  return (4 + ENTRY_HEADER_BYTES + keyLength + valueLength + 3) & ~3;
}

export class ChangeRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;
  private readonly view: DataView;
  private readonly mask: number;
  private readonly ownerId: number;

  /** A new ring's memory, `capacityBytes` of data (a power of two from MIN_RING_BYTES). */
  static createBuffer(capacityBytes: number): SharedArrayBuffer {
    if (!(Number.isInteger(capacityBytes) && capacityBytes >= MIN_RING_BYTES && capacityBytes <= MAX_RING_BYTES && (capacityBytes & (capacityBytes - 1)) === 0)) {
      throw new RangeError(`change ring capacity must be a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES} bytes, not ${capacityBytes}`);
    }
    const buffer = new SharedArrayBuffer(DATA + capacityBytes);
    new Int32Array(buffer)[CAPACITY] = capacityBytes;
    return buffer;
  }

  /** This thread's handle on a ring; `ownerId` (threadId + 1) goes in the lock word. */
  constructor(buffer: SharedArrayBuffer, ownerId: number) {
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.capacity = this.i32[CAPACITY]!;
    if (this.capacity < MIN_RING_BYTES || DATA + this.capacity !== buffer.byteLength) throw new RangeError('not a change ring');
    this.mask = this.capacity - 1;
    this.ownerId = ownerId;
  }

  /**
   * Appends one change: `keyLength` bytes of `keys` at `keyOffset`, `valueLength` bytes
   * of `values` at `valueOffset`, and the version. Returns false, dropping it and raising
   * OVERFLOW, when the ring has no room for it (or it is over half the ring). Never waits
   * for the consumer.
   */
  append(keys: DataView, keyOffset: number, keyLength: number, values: DataView, valueOffset: number, valueLength: number, version: EntryVersion): boolean {
    const need = ringEntryBytes(keyLength, valueLength);
    if (need > this.capacity >>> 1) return this.drop();
    const i32 = this.i32;
    lockWord(i32, LOCK, this.ownerId, SPIN_ROUNDS, LOCK_WAITS);
    try {
      let head = Atomics.load(i32, HEAD) >>> 0;
      const used = (head - (Atomics.load(i32, TAIL) >>> 0)) >>> 0;
      let at = head & this.mask;
      const toEnd = this.capacity - at;
      if (this.capacity - used < (toEnd < need ? toEnd + need : need)) return this.drop();
      if (toEnd < need) {
        this.u32[(DATA + at) >>> 2] = SKIP;
        head = (head + toEnd) >>> 0;
        at = 0;
      }
      const body = DATA + at + 4;
      const view = this.view;
      this.u32[(DATA + at) >>> 2] = ENTRY_HEADER_BYTES + keyLength + valueLength;
      writeEntryHeader(view, body, keyLength, valueLength, version);
      copyBytes(keys, keyOffset, view, body + ENTRY_HEADER_BYTES, keyLength);
      copyBytes(values, valueOffset, view, body + ENTRY_HEADER_BYTES + keyLength, valueLength);
      Atomics.store(i32, HEAD, (head + need) | 0);
    } finally {
      unlockWord(i32, LOCK, this.ownerId);
    }
    return true;
  }

  private drop(): false {
    Atomics.store(this.i32, OVERFLOW, 1);
    Atomics.add(this.i32, DROPPED, 1);
    return false;
  }

  // --- the consumer (one thread) ---------------------------------------------------------

  /**
   * Hands every entry appended so far to `visit` (the ring's bytes, the body's offset and
   * length; valid only during the call), in append order, then frees their room. Returns
   * the number of entries.
   */
  drain(visit: (bytes: Uint8Array, view: DataView, offset: number, length: number) => void): number {
    const i32 = this.i32;
    let tail = Atomics.load(i32, TAIL) >>> 0;
    const head = Atomics.load(i32, HEAD) >>> 0;
    let entries = 0;
    while (tail !== head) {
      const at = tail & this.mask;
      const length = this.u32[(DATA + at) >>> 2]!;
      if (length === SKIP) {
        tail = (tail + this.capacity - at) >>> 0;
        continue;
      }
      visit(this.u8, this.view, DATA + at + 4, length);
      tail = (tail + ((4 + length + 3) & ~3)) >>> 0;
      entries++;
    }
    Atomics.store(i32, TAIL, tail | 0);
    return entries;
  }

  /** Whether a change was dropped since the last call (and clears the flag). */
  takeOverflow(): boolean {
    return Atomics.exchange(this.i32, OVERFLOW, 0) === 1;
  }

  /** Changes dropped since the ring was made (mod 2^32). */
  dropped(): number {
    return Atomics.load(this.i32, DROPPED) >>> 0;
  }

  /** Bytes appended and not yet drained. */
  usedBytes(): number {
    return ((Atomics.load(this.i32, HEAD) >>> 0) - (Atomics.load(this.i32, TAIL) >>> 0)) >>> 0;
  }

  /** Forgets every entry and the overflow flag: only while no other thread uses the ring. */
  reset(): void {
    Atomics.store(this.i32, TAIL, Atomics.load(this.i32, HEAD));
    Atomics.store(this.i32, OVERFLOW, 0);
  }

  /** Opens the lock if `deadOwnerId` (a thread that died) held it; its entry was never published. */
  forceUnlock(deadOwnerId: number): boolean {
    return forceUnlockWord(this.i32, LOCK, deadOwnerId);
  }
}

/** A DataView of `bytes`, made again only when another array comes (callers pass the same one call after call). */
export class ViewCache {
  private bytes: Uint8Array | null = null;
  private view: DataView | null = null;

  of(bytes: Uint8Array): DataView {
    if (bytes !== this.bytes || this.view === null) {
      this.view = viewOf(bytes);
      this.bytes = bytes;
    }
    return this.view;
  }
}
