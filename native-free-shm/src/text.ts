/**
 * Strings to and from bytes without a per-call allocation on the common path: ASCII is
 * copied by hand; anything else goes through TextEncoder.encodeInto / TextDecoder on a
 * thread-local (never shared) copy, which works in every engine.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * From this many UTF-16 units on, TextEncoder.encodeInto (native: about 60 ns whatever the
 * length) beats the JS loop below (about 3.7 ns a character, V8's charCodeAt included).
 */
const NATIVE_ENCODE_FROM = 24;

/** Writes `s` as UTF-8 at `offset`; returns the byte count, or -1 if it does not fit. */
export function encodeText(s: string, out: Uint8Array, offset: number): number {
  const n = s.length;
  if (n >= NATIVE_ENCODE_FROM || offset + n > out.length) return encodeSlow(s, out, offset);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return encodeSlow(s, out, offset);
    out[offset + i] = c;
  }
  return n;
}

function encodeSlow(s: string, out: Uint8Array, offset: number): number {
  const room = out.length - offset;
  if (s.length * 3 > room && utf8Length(s) > room) return -1;
  return encoder.encodeInto(s, offset === 0 ? out : out.subarray(offset)).written;
}

export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const SHORT_TEXT = 64;
let copyBuffer = new Uint8Array(256);

/**
 * Node's Buffer decodes UTF-8 straight out of shared memory, natively, several times faster
 * than any JS loop; where the engine has no Buffer, the portable path below is used.
 */
interface NodeBufferLike {
  utf8Slice(start: number, end: number): string;
}
type NodeBufferFrom = (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => NodeBufferLike;
const bufferFrom = (globalThis as unknown as { Buffer?: { from: NodeBufferFrom } }).Buffer?.from;

/** A decoder bound to one buffer: `decode(offset, length)` → string. */
export type TextReader = (offset: number, length: number) => string;

export function textReader(u8: Uint8Array): TextReader {
  if (bufferFrom !== undefined) {
    const b = bufferFrom(u8.buffer, u8.byteOffset, u8.byteLength);
    return (offset, length) => b.utf8Slice(offset, offset + length);
  }
  return (offset, length) => decodeText(u8, offset, length);
}

/** Reads UTF-8 bytes (possibly in shared memory) into a string. */
export function decodeText(u8: Uint8Array, offset: number, length: number): string {
  if (length <= SHORT_TEXT) {
    let ascii = true;
    for (let i = 0; i < length; i++) if (u8[offset + i]! > 0x7f) { ascii = false; break; }
    if (ascii) return decodeAscii(u8, offset, length);
  }
  if (copyBuffer.length < length) copyBuffer = new Uint8Array(Math.max(length, copyBuffer.length * 2));
  copyBuffer.set(u8.subarray(offset, offset + length));
  return decoder.decode(copyBuffer.subarray(0, length));
}

function decodeAscii(u8: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(u8[offset + i]!);
  return s;
}
