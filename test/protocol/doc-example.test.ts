// The worked examples of docs/PROTOCOL.md are the real encoder's bytes: each block marked
// `<!-- wire-example: NAME -->` is read from the document, compared byte for byte with what
// FrameWriter writes for the values the document gives, and decoded back by FrameReader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_HELLO,
  CONTROL_PING,
  FRAME_CONTROL,
  FRAME_DATA,
  FRAME_NEED_MORE,
  FrameReader,
  FrameWriter,
  MODULE_VERSION,
  zoneFrameHeader,
} from '../../dist/sync/protocol/index.js';
import { MODULE_KEYVAL } from '../../dist/zones/descriptor.js';
import { appendRecord, toHex } from './helpers.js';

const PROTOCOL_DOC = fileURLToPath(new URL('../../docs/PROTOCOL.md', import.meta.url));

/** A data line of an example block: decimal offset, hex bytes, then (two spaces on) the field. */
const EXAMPLE_LINE = /^\s*(\d+)\s+((?:[0-9a-f]{2} )*[0-9a-f]{2})(?:\s{2,}\S.*)?$/;
const HEADER_LINE = /^offset\s+bytes\s+field$/;

/**
 * The bytes of the example block named `name`. Every line must be the header or a data line
 * whose offset is the count of bytes before it, so that no byte can hide in a malformed line.
 */
function docExample(name: string): Uint8Array {
  const doc = readFileSync(PROTOCOL_DOC, 'utf8');
  const marker = `<!-- wire-example: ${name} -->\n\`\`\`text\n`;
  const start = doc.indexOf(marker);
  if (start < 0) throw new Error(`docs/PROTOCOL.md has no example block "${name}"`);
  const body = doc.slice(start + marker.length, doc.indexOf('```', start + marker.length));
  const lines = body.split('\n').filter((line) => line.trim() !== '');
  if (!HEADER_LINE.test(lines[0] ?? '')) throw new Error(`example "${name}" does not start with its header line: ${lines[0]}`);
  const bytes: number[] = [];
  for (const line of lines.slice(1)) {
    const match = EXAMPLE_LINE.exec(line);
    if (match === null) throw new Error(`example "${name}": not an "offset bytes field" line: ${line}`);
    if (Number(match[1]) !== bytes.length) throw new Error(`example "${name}": offset ${match[1]} where ${bytes.length} bytes precede: ${line}`);
    for (const byte of match[2]!.split(' ')) bytes.push(parseInt(byte, 16));
  }
  return Uint8Array.from(bytes);
}

function written(write: (writer: FrameWriter) => void): Uint8Array {
  const writer = new FrameWriter(new Uint8Array(256));
  write(writer);
  return writer.written().slice();
}

/** The one frame `bytes` holds, read by a FrameReader as a peer's stream. */
function readOne(bytes: Uint8Array): FrameReader {
  const reader = new FrameReader(1024);
  expect(reader.append(bytes)).toBe(bytes.length);
  return reader;
}

const STAMP_MS = 1_700_000_000_000;
const NODE_ID = 42;

describe('the worked examples of docs/PROTOCOL.md', () => {
  it('keyval data frame: zone "one", key "k", value "v", node 42, stamp (1700000000000, 1), expiring at 1700000600000', () => {
    const record = { origin: NODE_ID, stampMs: STAMP_MS, stampLogical: 1, expireAtMs: 1_700_000_600_000, key: 'k', value: 'v' };
    const doc = docExample('keyval-data-frame');
    const encoded = written((w) => {
      expect(w.beginDataFrame(zoneFrameHeader('one', MODULE_KEYVAL, MODULE_VERSION))).toBe(true);
      const utf8 = new TextEncoder();
      expect(appendRecord(w, 0, record.origin, record.stampMs, record.stampLogical, record.expireAtMs, utf8.encode(record.key), utf8.encode(record.value))).toBeGreaterThan(0);
      w.finishDataFrame();
    });
    expect(toHex(doc)).toBe(toHex(encoded));

    const reader = readOne(doc);
    expect(reader.next()).toBe(FRAME_DATA);
    expect(reader.zoneName()).toBe('one');
    expect([reader.moduleTag, reader.moduleVersion, reader.recordCount]).toEqual([MODULE_KEYVAL, MODULE_VERSION, 1]);
    const cursor = reader.records();
    expect(cursor.next()).toBe(true);
    const bytes = reader.buffer.bytes;
    const text = (offset: number, length: number): string => new TextDecoder().decode(bytes.subarray(offset, offset + length));
    expect({
      origin: cursor.origin, stampMs: cursor.stampMs, stampLogical: cursor.stampLogical, expireAtMs: cursor.expireAtMs,
      key: text(cursor.keyOffset, cursor.keyLength),
      value: text(cursor.payloadOffset, cursor.payloadLength), // a keyval payload is the value's UTF-8
    }).toEqual(record);
    expect(cursor.tombstone).toBe(false);
    expect(cursor.next()).toBe(false);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
  });

  it('HELLO: node 42 named "a:1", stamp (1700000000000, 2), one keyval zone "one"', () => {
    const hello = {
      type: CONTROL_HELLO, nodeId: NODE_ID, stampMs: STAMP_MS, stampLogical: 2, nodeName: 'a:1',
      zones: [{ name: 'one', moduleTag: MODULE_KEYVAL, moduleVersion: MODULE_VERSION }],
    };
    const doc = docExample('hello');
    expect(toHex(doc)).toBe(toHex(written((w) => w.writeHello(hello.nodeId, hello.stampMs, hello.stampLogical, hello.nodeName, hello.zones))));
    const reader = readOne(doc);
    expect(reader.next()).toBe(FRAME_CONTROL);
    expect(reader.control).toEqual(hello);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
  });

  it('PING: stamp (1700000000000, 3)', () => {
    const ping = { type: CONTROL_PING, stampMs: STAMP_MS, stampLogical: 3 };
    const doc = docExample('ping');
    expect(toHex(doc)).toBe(toHex(written((w) => w.writePing(ping.stampMs, ping.stampLogical))));
    const reader = readOne(doc);
    expect(reader.next()).toBe(FRAME_CONTROL);
    expect(reader.control).toEqual(ping);
    expect(reader.next()).toBe(FRAME_NEED_MORE);
  });
});
