// A hand-driven sync peer for tests: a raw TCP socket that sends whatever bytes a test
// makes, and collects what comes back, decoded with the real FrameReader.
import { connect, type Socket } from 'node:net';
import { FRAME_CONTROL, FRAME_MALFORMED, FRAME_NEED_MORE, FrameReader, FrameWriter } from '../../dist/sync/protocol/index.js';
import type { ControlMessage, HelloZone } from '../../dist/sync/protocol/index.js';
import { MODULE_KEYVAL } from '../../dist/zones/descriptor.js';

export class RawPeer {
  readonly socket: Socket;
  readonly received: ControlMessage[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly reader = new FrameReader(1 << 20);

  /** "127.0.0.1:port" of our end, as the node logs it. */
  readonly localAddress: string;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.localAddress = `${socket.localAddress}:${socket.localPort}`;
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.isClosed = true;
      resolve();
    }));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        at += this.reader.append(chunk, at);
        for (let kind = this.reader.next(); kind !== FRAME_NEED_MORE && kind !== FRAME_MALFORMED; kind = this.reader.next()) {
          if (kind === FRAME_CONTROL) this.received.push(this.reader.control!);
        }
      }
    });
  }

  static open(address: string): Promise<RawPeer> {
    const colon = address.lastIndexOf(':');
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }


  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A HELLO from `nodeId`, its clock at `clockMs` (a skewed peer's, for some tests). */
export function helloFrame(nodeId: number, nodeName = 'raw', zones: HelloZone[] = [{ name: 'kv', moduleTag: MODULE_KEYVAL, moduleVersion: 1 }], clockMs = Date.now()): Uint8Array {
  const w = new FrameWriter(new Uint8Array(4096));
  w.writeHello(nodeId, clockMs, 0, nodeName, zones);
  return w.written().slice();
}

export function pingFrame(): Uint8Array {
  const w = new FrameWriter(new Uint8Array(64));
  w.writePing(Date.now(), 1);
  return w.written().slice();
}

/** A 12-byte header with the given fields, then `rest`. */
export function rawFrame(length: number, version: number, nameLen: number, moduleTag: number, moduleVersion: number, rest: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(12 + rest.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, length);
  view.setUint16(4, version);
  view.setUint16(6, nameLen);
  view.setUint16(8, moduleTag);
  view.setUint16(10, moduleVersion);
  out.set(rest, 12);
  return out;
}

/** A well-formed keyval data frame for `zone` with one record. */
/** A data frame of one keyval record; it expires a minute after its stamp unless `expireAtMs` says otherwise (0 = never). */
export function keyvalFrame(zone: string, key: string, value: string, origin: number, stampMs = Date.now(), moduleVersion = 1, expireAtMs = stampMs + 60_000): Uint8Array {
  const name = Buffer.from(zone);
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const recordBytes = 28 + k.length + v.length;
  const out = new Uint8Array(12 + name.length + recordBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length);
  view.setUint16(4, 1);
  view.setUint16(6, name.length);
  view.setUint16(8, 1);
  view.setUint16(10, moduleVersion);
  out.set(name, 12);
  const r = 12 + name.length;
  view.setUint32(r, recordBytes - 4);
  view.setUint16(r + 6, k.length);
  view.setUint32(r + 8, origin);
  view.setUint32(r + 12, Math.floor(stampMs / 65536));
  view.setUint32(r + 16, (stampMs % 65536) * 65536);
  view.setUint32(r + 20, Math.floor(expireAtMs / 2 ** 32));
  view.setUint32(r + 24, expireAtMs % 2 ** 32);
  out.set(k, r + 28);
  out.set(v, r + 28 + k.length);
  return out;
}
