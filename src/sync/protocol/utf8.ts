// UTF-8 helpers shared by the encoders: one encoder and decoders per thread.

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

/** Bytes `text` takes in UTF-8, counted without encoding it (lone surrogates count as U+FFFD). */
export { utf8Length as utf8ByteLength } from 'native-free-shm';

/** Encodes `text` at `offset`; the caller has checked that utf8ByteLength(text) bytes fit. */
export function writeUtf8(target: Uint8Array, offset: number, text: string, byteLength: number): void {
  const result = encoder.encodeInto(text, target.subarray(offset, offset + byteLength));
  if (result.written !== byteLength || result.read !== text.length) {
    throw new Error(`utf8 length mismatch: expected ${byteLength} bytes, wrote ${result.written}`);
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes, or returns null when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array, offset: number, byteLength: number): string | null {
  try {
    return strictDecoder.decode(bytes.subarray(offset, offset + byteLength));
  } catch {
    return null;
  }
}

/** Decodes, replacing invalid sequences with U+FFFD (values a module stores as given). */
export function decodeUtf8(bytes: Uint8Array, offset: number, byteLength: number): string {
  return lenientDecoder.decode(bytes.subarray(offset, offset + byteLength));
}
