// A writer whose buffer holds several frames (a round of `number` × `size` bytes) never makes
// a frame longer than its limit (one zone_sync_buffers size): the record that would pass it
// does not fit (a new frame takes it), and one that passes an empty frame never fits.
import { describe, expect, it } from 'vitest';
import { MODULE_KEYVAL } from '../../dist/zones/descriptor.js';
import {
  DOES_NOT_FIT, FRAME_HEADER_BYTES, FrameReader, FrameWriter, MODULE_VERSION, NEVER_FITS, RECORD_HEADER_BYTES, zoneFrameHeader,
} from '../../dist/sync/protocol/index.js';
import { appendRecord, readAll, utf8 } from './helpers.js';

const ZONE = zoneFrameHeader('kv', MODULE_KEYVAL, MODULE_VERSION);
const FRAME_BYTES = 150;
/** A record of 40 bytes on the wire: three fit a 150-byte frame of zone "kv" (14-byte header, 134 bytes), not four. */
const KEY = utf8('k'.repeat(6));
/** Exactly four frames of three records. */
const BUFFER_BYTES = 4 * (FRAME_HEADER_BYTES + 2 + 3 * 40);
const VALUE = utf8('v'.repeat(40 - RECORD_HEADER_BYTES - 6));

function append(writer: FrameWriter): number {
  return appendRecord(writer, 0, 1, 1_700_000_000_000, 0, 0, KEY, VALUE);
}

describe('FrameWriter with a frame size limit', () => {
  it('starts a new frame at the limit, and every frame decodes within a receive buffer of the limit', () => {
    const writer = new FrameWriter(new Uint8Array(BUFFER_BYTES), FRAME_BYTES);
    let records = 0;
    let frames = 0;
    for (;;) {
      if (!writer.frameOpen && !writer.beginDataFrame(ZONE)) break;
      const result = append(writer);
      if (result === DOES_NOT_FIT) {
        const empty = writer.recordCount === 0;
        if (empty) writer.abandonDataFrame();
        else {
          expect(writer.finishDataFrame()).toBeLessThanOrEqual(FRAME_BYTES);
          frames++;
        }
        if (empty) break;
        continue;
      }
      expect(result).toBeGreaterThanOrEqual(0);
      records++;
    }
    expect(frames).toBe(4);
    expect(records).toBe(12);
    const events = readAll(new FrameReader(FRAME_BYTES), [writer.written()]);
    expect(events.filter((e) => e.kind === 'data').length).toBe(4);
    expect(events.every((e) => e.kind === 'data' && e.records.length === 3)).toBe(true);
  });

  it('NEVER_FITS for a record larger than an empty frame, though the buffer has room for it', () => {
    const writer = new FrameWriter(new Uint8Array(BUFFER_BYTES), FRAME_BYTES);
    writer.beginDataFrame(ZONE);
    const room = FRAME_BYTES - FRAME_HEADER_BYTES - 2 - RECORD_HEADER_BYTES - KEY.length;
    expect(appendRecord(writer, 0, 1, 1, 0, 0, KEY, new Uint8Array(room + 1))).toBe(NEVER_FITS);
    expect(appendRecord(writer, 0, 1, 1, 0, 0, KEY, new Uint8Array(room))).toBeGreaterThanOrEqual(0);
  });

  it('without a limit, a frame may fill the buffer', () => {
    const writer = new FrameWriter(new Uint8Array(BUFFER_BYTES));
    writer.beginDataFrame(ZONE);
    let records = 0;
    while (append(writer) >= 0) records++;
    expect(records).toBe(Math.floor((BUFFER_BYTES - FRAME_HEADER_BYTES - 2) / 40));
  });

  it('refuses a limit under a frame header or over the buffer', () => {
    expect(() => new FrameWriter(new Uint8Array(64), FRAME_HEADER_BYTES - 1)).toThrow(RangeError);
    expect(() => new FrameWriter(new Uint8Array(64), 65)).toThrow(RangeError);
  });
});
