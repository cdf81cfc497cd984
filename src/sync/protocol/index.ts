// The zone_sync wire protocol, version 1: pure codecs used by the sync thread.
export * from './constants.js';
export * from './control.js';
export * from './frame-header.js';
export * from './frame-reader.js';
export * from './frame-writer.js';
export * from './malformed.js';
export * from './payloads.js';
export * from './record-codec.js';
export * from './utf8.js';
export * from './wire-buffer.js';
