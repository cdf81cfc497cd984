// The journal format: CRC-32C against published vectors; entries read back as written; a
// torn tail cut at the last whole entry wherever the cut falls; a flipped byte anywhere in
// an entry ends the replay before it; bodies that pass their checksum but are not valid
// changes refused; a header of another zone or format refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_HEADER_BYTES, E_EXPIRE_AT, E_FLAGS, E_KEY_LEN, E_KIND, E_LOGICAL, E_RESERVED, E_STAMP_MS, writeEntryHeader } from '../../dist/zones/change-entry.js';
import { crc32c } from '../../dist/zones/keyval/crc32c.js';
import { JOURNAL_FRAME_BYTES, JournalEncoder, JournalError, journalHeader, scanJournal } from '../../dist/zones/keyval/journal-file.js';
import type { JournalScan } from '../../dist/zones/keyval/journal-file.js';

interface Change { key: string; value: string; stampMs: number; logical: number; origin: number; expireAtMs: number; tombstone: boolean }

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PATH = '/state/one.keyval.journal-3';

function body(c: Change): Uint8Array {
  const key = encoder.encode(c.key);
  const value = encoder.encode(c.value);
  const bytes = new Uint8Array(ENTRY_HEADER_BYTES + key.length + value.length);
  writeEntryHeader(new DataView(bytes.buffer), 0, key.length, value.length, c);
  bytes.set(key, ENTRY_HEADER_BYTES);
  bytes.set(value, ENTRY_HEADER_BYTES + key.length);
  return bytes;
}

/** A journal of `changes`, and where each entry starts. */
function journal(changes: Change[], zone = 'one', generation = 3): { bytes: Uint8Array; starts: number[] } {
  const header = journalHeader(zone, generation);
  const enc = new JournalEncoder();
  const starts: number[] = [];
  let at = header.length;
  for (const c of changes) {
    starts.push(at);
    const b = body(c);
    enc.add(b, 0, b.length);
    at += JOURNAL_FRAME_BYTES + b.length;
  }
  const entries = enc.take();
  const bytes = new Uint8Array(header.length + entries.length);
  bytes.set(header);
  bytes.set(entries, header.length);
  return { bytes, starts };
}

function scan(bytes: Uint8Array, zone = 'one', generation: number | null = 3): { changes: Change[]; result: JournalScan } {
  const changes: Change[] = [];
  const result = scanJournal(PATH, zone, generation, bytes, (b, r) => {
    changes.push({
      key: decoder.decode(b.subarray(r.keyOffset, r.keyOffset + r.keyLength)),
      value: decoder.decode(b.subarray(r.payloadOffset, r.payloadOffset + r.payloadLength)),
      stampMs: r.stampMs, logical: r.stampLogical, origin: r.origin, expireAtMs: r.expireAtMs, tombstone: r.tombstone,
    });
  });
  return { changes, result };
}

const change = (i: number): Change => ({
  key: `k${i}-ключ`, value: i % 4 === 0 ? '' : `value ${i} ✓`.repeat(1 + (i % 5)), stampMs: 1_700_000_000_000 + i, logical: (i * 7919) % 65536,
  origin: (i * 2654435761) >>> 0, expireAtMs: i % 3 === 0 ? 0 : 1_800_000_000_000 + i, tombstone: i % 4 === 0,
});
const CHANGES = Array.from({ length: 6 }, (_, i) => change(i));

describe('CRC-32C', () => {
  it.each<[string, Uint8Array, number]>([
    ['empty', new Uint8Array(0), 0],
    ['"123456789"', encoder.encode('123456789'), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ])('%s (RFC 3720 B.4 and the check value)', (_, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it('continuing over two pieces gives the CRC of the whole, for any split (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, split) => {
      const at = bytes.length === 0 ? 0 : split % (bytes.length + 1);
      expect(crc32c(bytes, at, bytes.length, crc32c(bytes, 0, at))).toBe(crc32c(bytes));
    }));
  });
});

describe('journal entries', () => {
  it('read back as written', () => {
    const { bytes } = journal(CHANGES);
    const { changes, result } = scan(bytes);
    expect(changes).toEqual(CHANGES);
    expect(result).toMatchObject({ generation: 3, entries: CHANGES.length, validBytes: bytes.length, totalBytes: bytes.length, cut: null });
  });

  it('read back as written, any changes (property)', () => {
    const arbChange = fc.record({
      key: fc.string({ maxLength: 40 }), value: fc.string({ maxLength: 200 }), stampMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      logical: fc.integer({ min: 0, max: 65535 }), origin: fc.integer({ min: 0, max: 0xffffffff }),
      expireAtMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), tombstone: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(arbChange, { maxLength: 20 }), (changes) => {
      const { changes: read } = scan(journal(changes).bytes);
      expect(read.map((c) => ({ ...c, key: encoder.encode(c.key), value: encoder.encode(c.value) })))
        .toEqual(changes.map((c) => ({ ...c, key: encoder.encode(c.key), value: encoder.encode(c.value) })));
    }), { numRuns: 200 });
  });

  it('a journal of a header only is empty; an empty file too', () => {
    expect(scan(journalHeader('one', 3)).result).toMatchObject({ entries: 0, cut: null });
    expect(scan(new Uint8Array(0)).result).toMatchObject({ generation: null, entries: 0, cut: null });
  });
});

describe('torn tails', () => {
  it('cut at every byte offset of the last entry: every earlier entry, none of the last, never an error', () => {
    const { bytes, starts } = journal(CHANGES);
    const last = starts[starts.length - 1]!;
    for (let end = last; end < bytes.length; end++) {
      const { changes, result } = scan(bytes.subarray(0, end));
      expect(changes).toEqual(CHANGES.slice(0, -1));
      expect(result.validBytes).toBe(last);
      if (end === last) expect(result.cut).toBeNull();
      else expect(result.cut).toMatchObject({ offset: last, reason: 'torn' });
    }
  });

  it('cut at every byte offset of every entry: the entries before it, exactly', () => {
    const { bytes, starts } = journal(CHANGES);
    const ends = [...starts.slice(1), bytes.length];
    starts.forEach((start, index) => {
      for (let end = start + 1; end < ends[index]!; end++) {
        const { changes, result } = scan(bytes.subarray(0, end));
        expect(changes).toEqual(CHANGES.slice(0, index));
        expect(result.cut?.reason).toBe('torn');
      }
    });
  });

  it('a header cut anywhere is an empty journal, not an error', () => {
    const header = journalHeader('one', 3);
    for (let end = 1; end < header.length; end++) {
      const { changes, result } = scan(header.subarray(0, end));
      expect(changes).toEqual([]);
      expect(result).toMatchObject({ generation: null, entries: 0, validBytes: 0, cut: { offset: 0, reason: 'torn-header' } });
    }
  });
});

describe('corruption', () => {
  it('a flipped bit anywhere in an entry ends the replay before that entry', () => {
    const { bytes, starts } = journal(CHANGES);
    const index = 3;
    const start = starts[index]!;
    const end = starts[index + 1]!;
    for (let at = start; at < end; at++) {
      for (const bit of [0x01, 0x80]) {
        const copy = bytes.slice();
        copy[at]! ^= bit;
        const { changes, result } = scan(copy);
        expect(changes).toEqual(CHANGES.slice(0, index));
        expect(result.cut?.offset).toBe(start);
        expect(['checksum', 'torn', 'invalid']).toContain(result.cut?.reason);
      }
    }
  });

  it('a bad checksum is reported as such', () => {
    const { bytes, starts } = journal(CHANGES);
    const copy = bytes.slice();
    copy[starts[1]! + JOURNAL_FRAME_BYTES + ENTRY_HEADER_BYTES]! ^= 0xff; // the first key byte of entry 1
    const { changes, result } = scan(copy);
    expect(changes).toEqual(CHANGES.slice(0, 1));
    expect(result.cut).toMatchObject({ offset: starts[1], reason: 'checksum' });
  });

  /** Rewrites one field of entry 0's body and recomputes its checksum, as a writer with a bug would. */
  function withBody(edit: (view: DataView) => void): Uint8Array {
    const { bytes, starts } = journal(CHANGES);
    const start = starts[0]!;
    const view = new DataView(bytes.buffer);
    const length = view.getUint32(start, true);
    edit(new DataView(bytes.buffer, start + JOURNAL_FRAME_BYTES, length));
    view.setUint32(start + 4, crc32c(bytes, start + JOURNAL_FRAME_BYTES, start + JOURNAL_FRAME_BYTES + length, crc32c(bytes, start, start + 4)), true);
    return bytes;
  }

  it.each<[string, (v: DataView) => void]>([
    ['unknown kind', (v) => v.setUint8(E_KIND, 2)],
    ['unknown flag', (v) => v.setUint8(E_FLAGS, 2)],
    ['reserved field set', (v) => v.setUint16(E_RESERVED, 1, true)],
    ['key length past the body', (v) => v.setUint16(E_KEY_LEN, 0xffff, true)],
    ['stamp not whole', (v) => v.setFloat64(E_STAMP_MS, 1.5, true)],
    ['stamp past 2^48 - 1', (v) => v.setFloat64(E_STAMP_MS, 2 ** 48, true)],
    ['stamp NaN', (v) => v.setFloat64(E_STAMP_MS, Number.NaN, true)],
    ['expiry negative', (v) => v.setFloat64(E_EXPIRE_AT, -1, true)],
    ['expiry NaN', (v) => v.setFloat64(E_EXPIRE_AT, Number.NaN, true)],
    ['expiry past 2^53 - 1', (v) => v.setFloat64(E_EXPIRE_AT, 2 ** 60, true)],
  ])('a checksummed body with %s is refused, with what follows', (_, edit) => {
    const { changes, result } = scan(withBody(edit));
    expect(changes).toEqual([]);
    expect(result.cut?.reason).toBe('invalid');
  });

  it('the logical counter is 16 bits: any value read is in range', () => {
    const { changes } = scan(withBody((v) => v.setUint16(E_LOGICAL, 0xffff, true)));
    expect(changes[0]!.logical).toBe(0xffff);
  });

  it('a body length past the limit is refused without reading it', () => {
    const { bytes, starts } = journal(CHANGES);
    new DataView(bytes.buffer).setUint32(starts[2]!, 0xffffffff, true);
    const { changes, result } = scan(bytes);
    expect(changes).toEqual(CHANGES.slice(0, 2));
    expect(result.cut?.reason).toBe('invalid');
  });

  it('a header with a flipped byte is a torn header (an empty journal)', () => {
    const { bytes } = journal(CHANGES);
    for (let at = 0; at < journalHeader('one', 3).length; at++) {
      const copy = bytes.slice();
      copy[at]! ^= 0x10;
      const { result } = scan(copy);
      expect(result.entries).toBe(0);
      expect(result.cut?.reason).toBe('torn-header');
    }
  });

  it('a sound header of another zone, format version or generation is an error', () => {
    expect(() => scan(journal(CHANGES, 'two').bytes, 'one')).toThrow(/belongs to zone "two"/);
    expect(() => scan(journal(CHANGES, 'one', 4).bytes, 'one', 3)).toThrow(/generation 4/);
    const other = journal(CHANGES).bytes;
    const view = new DataView(other.buffer);
    view.setUint32(8, 2, true);
    const headerEnd = journalHeader('one', 3).length - 4;
    view.setUint32(headerEnd, crc32c(other, 0, headerEnd), true);
    expect(() => scan(other)).toThrow(JournalError);
    expect(() => scan(other)).toThrow(/format version 2/);
  });
});
