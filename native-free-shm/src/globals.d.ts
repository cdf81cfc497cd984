// The two WHATWG text codecs every engine with SharedArrayBuffer has; declared here so that
// the package needs neither DOM nor Node typings.
declare class TextEncoder {
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
