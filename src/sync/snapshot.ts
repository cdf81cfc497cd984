// The snapshot a dialer sends right after the HELLO exchange (docs/PROTOCOL.md "The snapshot"):
// for every synced zone, SNAPSHOT_BEGIN, its live records (tombstones included) in data
// frames, SNAPSHOT_END. It is produced in bounded steps: each next() walks at most one
// ZoneCursor step (one shard lock, about `stepRecords` records) and returns those bytes,
// so the connection's owner interleaves it with regular rounds and with back-pressure.
// The bytes are written straight into buffers of zone_sync_buffers size that are handed
// over whole (each one is the socket's once returned, and never written again: the same
// buffer may go to several sockets), so nothing is copied after encoding.
//
//   zone i: BEGIN ──step()*──▶ END ──▶ zone i+1 … ──▶ done
//
// The same walk relays a closed peer's records (relays.ts): given a set of origins, it
// carries only the records of those origins, in plain data frames (no BEGIN, no END: the
// receiver sees no snapshot, only data frames like a round's).

import { ZoneCursor, type RecordVisitor, type ShmZone } from 'native-free-shm';
import { DOES_NOT_FIT, FrameWriter } from './protocol/index.js';
import type { SkipReporter, SyncZone } from './sync-zone.js';

export class SnapshotSender {
  private readonly zones: readonly SyncZone[];
  private readonly stepRecords: number;
  private readonly bufferSizeBytes: number;
  private writer: FrameWriter;
  private readonly onSkip: SkipReporter;
  private chunks: Uint8Array[] = [];
  private cursor: ZoneCursor | null = null;
  private zoneIndex = 0;
  private current: SyncZone | null = null;
  /** Zones whose SNAPSHOT_END has been produced. */
  zonesDone = 0;
  recordsSent = 0;
  recordsTooLarge = 0;
  /** Frames produced: data frames, SNAPSHOT_BEGIN and SNAPSHOT_END. */
  frames = 0;
  private readonly visit: RecordVisitor;
  /** Null: a snapshot (every record, BEGIN and END around each zone); else a relay of these origins' records. */
  private readonly origins: ReadonlySet<number> | null;

  constructor(zones: readonly SyncZone[], bufferSizeBytes: number, stepRecords: number, onSkip: SkipReporter, origins: ReadonlySet<number> | null = null) {
    this.zones = zones;
    this.origins = origins;
    this.stepRecords = stepRecords;
    this.bufferSizeBytes = bufferSizeBytes;
    this.writer = this.freshWriter();
    this.onSkip = onSkip;
    this.visit = (_zone: ShmZone, _shard: number, rec: number) => this.visitRecord(rec);
  }

  get done(): boolean {
    return this.zoneIndex >= this.zones.length;
  }

  get zonesTotal(): number {
    return this.zones.length;
  }

  /** The zone being sent, or null when done. */
  get zoneName(): string | null {
    return this.done ? null : this.zones[this.zoneIndex]!.name;
  }

  /**
   * The next batch of frames, as buffers to write in order (new arrays the caller owns), or
   * null when the snapshot is done.
   */
  next(): Uint8Array[] | null {
    if (this.done) return null;
    const zone = this.zones[this.zoneIndex]!;
    if (this.cursor === null) {
      this.current = zone;
      this.cursor = new ZoneCursor(zone.zone);
      if (this.origins === null) this.control((w) => w.writeSnapshotBegin(zone.header, zone.zone.stats().records));
    }
    if (!this.cursor.done) {
      this.writer.beginDataFrame(zone.header);
      this.cursor.step(this.stepRecords, this.visit);
      this.finishFrame();
    }
    if (this.cursor.done) {
      if (this.origins === null) this.control((w) => w.writeSnapshotEnd(zone.header));
      this.cursor = null;
      this.current = null;
      this.zoneIndex++;
      this.zonesDone++;
    }
    return this.takeBytes();
  }

  private visitRecord(rec: number): void {
    const zone = this.current!;
    if (this.origins !== null && !this.origins.has(zone.zone.origin(rec))) return;
    let result = zone.encodeRecord(this.writer, rec);
    if (result === DOES_NOT_FIT) {
      this.finishFrame();
      this.flushWriter();
      this.writer.beginDataFrame(zone.header);
      result = zone.encodeRecord(this.writer, rec);
    }
    if (result >= 0) {
      this.recordsSent++;
    } else {
      this.recordsTooLarge++;
      this.onSkip(zone.skipReport(rec, result));
    }
  }

  private control(write: (writer: FrameWriter) => number): void {
    this.frames++;
    if (write(this.writer) >= 0) return;
    this.flushWriter();
    if (write(this.writer) < 0) throw new Error('a control frame does not fit an empty zone_sync buffer');
  }

  private finishFrame(): void {
    const writer = this.writer;
    if (!writer.frameOpen) return;
    if (writer.recordCount === 0) {
      writer.abandonDataFrame();
      return;
    }
    writer.finishDataFrame();
    this.frames++;
  }

  /** Hands the writer's frames over as a chunk (a view, no copy) and starts a new buffer. */
  private flushWriter(): void {
    const writer = this.writer;
    if (writer.used === 0) return;
    this.chunks.push(writer.written());
    this.writer = this.freshWriter();
  }

  private takeBytes(): Uint8Array[] {
    this.flushWriter();
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }

  /** Not zero-filled: the writer writes every byte it hands over. */
  private freshWriter(): FrameWriter {
    return new FrameWriter(Buffer.allocUnsafe(this.bufferSizeBytes));
  }
}
