// The zones this node syncs, as the engine's parts see them together: each zone's SyncZone
// (output queue, round buffers, merge), the tally that merges and rounds add to and its
// move into the shared counters, the zones' words of the counters, and new snapshots (and
// relays, relays.ts) of them all.

import type { SharedHybridClock } from '../shared-clock.js';
import type { ZoneDescriptor } from '../zones/descriptor.js';
import {
  C_APPLY_NO_MEMORY, C_RECORDS_APPLIED, C_RECORDS_FUTURE, C_RECORDS_IGNORED, C_RECORDS_IN, C_RECORDS_INVALID, C_RECORDS_OUT, C_RECORDS_SKIPPED,
  C_RECORDS_TOO_LARGE,
  Z_RECORDS_PENDING, Z_RECORDS_TOTAL, zoneWord,
} from './counters.js';
import type { EngineContext } from './engine-context.js';
import type { FrameReader, HelloZone } from './protocol/index.js';
import { SnapshotSender } from './snapshot.js';
import { RecordTally, SyncZone, type SkipReporter } from './sync-zone.js';

export class SyncedZones {
  readonly list: readonly SyncZone[];
  readonly tally = new RecordTally();
  /** Logs a record too large for zone_sync_buffers (the caller counts it). */
  readonly reportSkip: SkipReporter;

  /** `descriptors`: the synced ones only, each name once. */
  constructor(private readonly ctx: EngineContext, descriptors: readonly ZoneDescriptor[], ownerId: number, private readonly clock: SharedHybridClock) {
    const names = new Set<string>();
    for (const d of descriptors) {
      if (names.has(d.name)) throw new RangeError(`zone "${d.name}" is listed twice`);
      names.add(d.name);
    }
    const { count, sizeBytes } = ctx.options.buffers;
    this.list = descriptors.map((d, i) => new SyncZone(i, d, ownerId, ctx.timers.wallMs, count, sizeBytes));
    this.reportSkip = (skipped) => ctx.log.error({ ...skipped }, `zone_sync record of zone "${skipped.zone}" with a ${skipped.keyLength}-byte key does not fit zone_sync_buffers, not synced`);
  }

  get names(): string[] {
    return this.list.map((z) => z.name);
  }

  /** What HELLO says of each zone. */
  helloZones(): HelloZone[] {
    return this.list.map((z) => ({ name: z.name, moduleTag: z.descriptor.moduleTag, moduleVersion: z.descriptor.moduleVersion }));
  }

  /** The synced zone a data frame names, or null (unknown zone, or another module tag or version). */
  zoneForFrame(reader: FrameReader): SyncZone | null {
    for (const zone of this.list) {
      if (!reader.zoneNameEquals(zone.header.nameBytes)) continue;
      const d = zone.descriptor;
      return reader.moduleTag === d.moduleTag && reader.moduleVersion === d.moduleVersion ? zone : null;
    }
    return null;
  }

  /** Moves the tally into the counters, and the greatest stamp merged into the clock (HLC receive). */
  flushTally(): void {
    const t = this.tally;
    const c = this.ctx.counters;
    if (t.maxStampMs >= 0) this.clock.observe(t.maxStampMs, t.maxStampLogical);
    t.resetStamp();
    c[C_RECORDS_IN] += t.recordsIn;
    c[C_RECORDS_APPLIED] += t.applied;
    c[C_RECORDS_IGNORED] += t.ignored;
    c[C_APPLY_NO_MEMORY] += t.noMemory;
    c[C_RECORDS_SKIPPED] += t.skipped;
    c[C_RECORDS_INVALID] += t.invalid;
    c[C_RECORDS_FUTURE] += t.future;
    c[C_RECORDS_OUT] += t.recordsOut;
    c[C_RECORDS_TOO_LARGE] += t.tooLarge;
    t.recordsIn = t.applied = t.ignored = t.noMemory = t.skipped = t.invalid = t.future = t.recordsOut = t.tooLarge = t.framesOut = 0;
  }

  /** A snapshot of every zone, for a peer whose HELLO exchange just completed. */
  newSnapshot(): SnapshotSender {
    return this.walk(null);
  }

  /** A walk of every zone that carries the records of `origins` only, in plain data frames (relays.ts). */
  newRelay(origins: ReadonlySet<number>): SnapshotSender {
    return this.walk(origins);
  }

  private walk(origins: ReadonlySet<number> | null): SnapshotSender {
    const options = this.ctx.options;
    return new SnapshotSender(this.list, options.buffers.sizeBytes, options.snapshotStepRecords, (skipped) => {
      this.ctx.counters[C_RECORDS_TOO_LARGE]++;
      this.reportSkip(skipped);
    }, origins);
  }

  /** Some zone's output queue held more than its last collect or discard took. */
  get hasMore(): boolean {
    return this.list.some((z) => z.hasMore);
  }

  /** Records and pending records of each zone, into the counters. */
  updateCounters(): void {
    const counters = this.ctx.counters;
    for (const zone of this.list) {
      const stats = zone.zone.stats();
      counters[zoneWord(zone.index, Z_RECORDS_TOTAL)] = stats.records;
      counters[zoneWord(zone.index, Z_RECORDS_PENDING)] = stats.pending;
    }
  }
}
