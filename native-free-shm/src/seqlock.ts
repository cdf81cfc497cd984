import type { ZoneMemory } from './memory.js';
import { S_SEQ } from './layout.js';

/**
 * The sequence word of a shard (a seqlock, as Linux's seqcount_t), which lets a reader take
 * a value without the lock: it reads S_SEQ, reads the data, reads S_SEQ again, and keeps
 * what it read only if both reads agree and are even.
 *
 * Invariants:
 *  - S_SEQ is odd exactly while a lock holder is in the middle of changing the shard: the
 *    first mutation of a tenure is preceded by seqWriteBegin (table.ts markDirty), and
 *    seqWriteEnd follows the last, before the lock is released (zone.ts unlock);
 *  - S_DIRTY ≠ 0 implies S_SEQ odd (S_SEQ goes odd before S_DIRTY is set, S_DIRTY is
 *    cleared before S_SEQ goes even), so forceUnlock knows a torn shard is fenced off;
 *  - S_SEQ only grows (wrapping at 2^32, some 2^31 tenures away from any reader): a value a
 *    reader has seen never comes back while it reads, not even across a shard reset.
 *
 * Memory ordering. A reader must see its data loads ordered between its two S_SEQ loads,
 * and a writer's data stores must be seen after its S_SEQ goes odd and before it goes even.
 *  - x86-64 (and ia32) never reorders a load with an earlier load, nor a store with an
 *    earlier store, and V8's Atomics.add is a `lock xadd`, a full barrier: nothing more is
 *    needed.
 *  - ARM64: V8's Atomics.load is `ldar` (load-acquire), which orders LATER accesses after it
 *    but lets EARLIER plain loads pass it; its Atomics.add, as a `ldaxr`/`stlxr` loop, lets
 *    LATER plain stores pass its store-release half. So each side needs a fence: an Atomics
 *    RMW on a private word (seqFence). Reader: the data loads precede the fence's
 *    store-release, and a store-release followed by `ldar` is ordered, so they precede the
 *    second S_SEQ load. Writer: S_SEQ's store-release followed by the fence's load-acquire
 *    is ordered, and the acquire orders the mutation stores after it. At the end of a
 *    tenure, S_SEQ's store-release itself keeps the mutation stores before it.
 *  - Elsewhere (other architectures, or an engine with no `process`) the fence is kept: it
 *    costs one uncontended RMW, and an Atomics RMW is sequentially consistent by the
 *    ECMAScript memory model, so at least acquire-release on any hardware.
 * The compiler adds no reordering of its own: V8 treats Atomics operations as memory effects
 * that typed-array loads and stores are not moved across.
 */

const arch = (globalThis as { process?: { arch?: string } }).process?.arch;
/** Decided once: loads and stores are in order on x86, so the fence is skipped there. */
const FENCE_NEEDED = arch !== 'x64' && arch !== 'ia32';
/** This thread's own word (a module instance per thread): nobody else ever touches it. */
const fenceWord = new Int32Array(new SharedArrayBuffer(4));

/**
 * Orders earlier loads before later loads, and an earlier Atomics RMW before later stores:
 * what each side of the seqlock needs (see above). Not a full fence (a store may still pass
 * a later load), and a no-op on x86.
 */
export function seqFence(): void {
  if (FENCE_NEEDED) Atomics.add(fenceWord, 0, 0);
}

function seqWord(base: number): number {
  return (base >>> 2) + S_SEQ;
}

/** S_SEQ now; odd means a writer is in the middle of a change. */
export function seqRead(m: ZoneMemory, base: number): number {
  return Atomics.load(m.i32, seqWord(base));
}

/** Whether the shard is unchanged since `seq` (an even value seqRead gave): the loads before this call saw one state. */
export function seqUnchanged(m: ZoneMemory, base: number, seq: number): boolean {
  seqFence();
  return Atomics.load(m.i32, seqWord(base)) === seq;
}

/** Under the lock, before the tenure's first mutation: S_SEQ even → odd. */
export function seqWriteBegin(m: ZoneMemory, base: number): void {
  Atomics.add(m.i32, seqWord(base), 1);
  seqFence();
}

/** Under the lock, after the tenure's last mutation: S_SEQ odd → even (a release: the mutations are seen first). */
export function seqWriteEnd(m: ZoneMemory, base: number): void {
  Atomics.add(m.i32, seqWord(base), 1);
}

/** Makes S_SEQ odd if it is even (forceUnlock, before it resets a shard a dead holder tore). */
export function seqEnsureOdd(m: ZoneMemory, base: number): void {
  if ((seqRead(m, base) & 1) === 0) seqWriteBegin(m, base);
}

/** Makes S_SEQ even if it is odd (forceUnlock, which ends a dead holder's tenure for it). */
export function seqEnsureEven(m: ZoneMemory, base: number): void {
  if ((seqRead(m, base) & 1) !== 0) seqWriteEnd(m, base);
}
