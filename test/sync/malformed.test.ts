// Bad input on a real listener: the node logs and closes the offending connection, never
// crashes, and keeps syncing with its well-behaved peer.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawPeer, helloFrame, keyvalFrame, pingFrame, rawFrame } from '../util/raw-peer.js';
import { TestNode, sleep, startMesh, stopAll, waitFor } from './helpers.js';

const RECV_BUFFER = 8 * 1024;
let good: TestNode;
let target: TestNode;
let probe = 0;

beforeAll(async () => {
  good = new TestNode(1, [{ name: 'kv' }]);
  target = new TestNode(2, [{ name: 'kv' }], { connectTimeoutMs: 500, recvBufferSizeBytes: RECV_BUFFER, buffers: { count: 2, sizeBytes: 4096 } });
  await startMesh([good, target]);
  await waitFor('mesh online', () => good.engine.readCounters().status.nodes_online === 1 && target.engine.readCounters().status.nodes_online === 1);
});

afterAll(async () => {
  await stopAll([good, target]);
});

/** The good peer still gets its writes through to the target. */
async function stillSyncing(): Promise<void> {
  const key = `probe-${probe++}`;
  good.write(key, 'alive');
  await waitFor(`${key} reaches the target`, () => target.get(key) === 'alive');
  expect(target.engine.readCounters().status.nodes_online).toBe(1);
}

async function expectClosedAsMalformed(bytes: Uint8Array, reason: string): Promise<void> {
  const before = target.engine.readCounters().extra.malformed;
  const peer = await RawPeer.open(target.address);
  peer.send(bytes);
  await peer.closed;
  expect(target.engine.readCounters().extra.malformed).toBe(before + 1);
  const line = target.logs.filter((l) => l.level === 'warn' && l.fields.reason === reason).at(-1);
  expect(line?.fields.peer).toBe(peer.localAddress);
}

describe('malformed frames close the connection and are logged with the peer address', () => {
  it('length 0', () => expectClosedAsMalformed(rawFrame(0, 1, 0, 0, 1), 'frame-length-under-header'));
  it('length 11', () => expectClosedAsMalformed(rawFrame(11, 1, 0, 0, 1), 'frame-length-under-header'));
  it('length 2^32-1', () => expectClosedAsMalformed(rawFrame(0xffffffff, 1, 0, 0, 1), 'frame-length-over-receive-buffer'));
  it('one byte over the receive buffer', () => expectClosedAsMalformed(rawFrame(RECV_BUFFER + 1, 1, 0, 0, 1), 'frame-length-over-receive-buffer'));
  it('wrong protocol version', () => expectClosedAsMalformed(rawFrame(21, 2, 0, 0, 1, new Uint8Array(9)), 'unsupported-protocol-version'));

  it('a record that overruns its frame, after a valid HELLO', async () => {
    const frame = keyvalFrame('kv', 'key', 'value', 99);
    new DataView(frame.buffer).setUint32(12 + 2, 28 + 3 + 5 + 1 - 4 + 100); // rec_len too long
    await expectClosedAsMalformed(Buffer.concat([helloFrame(99), frame]), 'record-overruns-frame');
    expect(target.get('key')).toBeUndefined();
    await stillSyncing();
  });

  it('random bytes never crash the node', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      const peer = await RawPeer.open(target.address);
      peer.send(bytes);
      peer.end();
      await peer.closed;
    }), { numRuns: 40, seed: 4242 });
    await stillSyncing();
  });

  it('random frames after a valid HELLO never crash the node', async () => {
    const header = fc.record({ version: fc.constantFrom(1, 1, 1, 0, 2), nameLen: fc.integer({ min: 0, max: 8 }), tag: fc.integer({ min: 0, max: 5 }), mv: fc.constantFrom(1, 1, 2) });
    await fc.assert(fc.asyncProperty(header, fc.uint8Array({ maxLength: 120 }), async (h, body) => {
      const peer = await RawPeer.open(target.address);
      peer.send(Buffer.concat([helloFrame(500), rawFrame(12 + body.length, h.version, h.nameLen, h.tag, h.mv, body)]));
      peer.end();
      await peer.closed;
    }), { numRuns: 40, seed: 777 });
    await stillSyncing();
  });

  it('a frame cut short, then the connection closed', async () => {
    const peer = await RawPeer.open(target.address);
    peer.send(helloFrame(501).subarray(0, 10));
    peer.end();
    await peer.closed;
    await stillSyncing();
  });
});

describe('protocol order and floods', () => {
  it('data before HELLO closes the connection', async () => {
    const before = target.engine.readCounters().extra.protocol_errors;
    const peer = await RawPeer.open(target.address);
    peer.send(keyvalFrame('kv', 'early', 'x', 98));
    await peer.closed;
    expect(target.get('early')).toBeUndefined();
    expect(target.engine.readCounters().extra.protocol_errors).toBe(before + 1);
  });

  it('a HELLO flood on one connection: answered once, then closed', async () => {
    const peer = await RawPeer.open(target.address);
    const hello = helloFrame(600);
    peer.send(Buffer.concat(Array.from({ length: 500 }, () => hello)));
    await peer.closed;
    expect(peer.received.filter((m) => m.type === 1).length).toBe(1);
    await stillSyncing();
  });

  it('a flood of connections each saying HELLO: all answered, the node keeps syncing', async () => {
    const peers = await Promise.all(Array.from({ length: 100 }, () => RawPeer.open(target.address)));
    peers.forEach((p, i) => p.send(helloFrame(1000 + i)));
    await waitFor('every HELLO answered', () => peers.every((p) => p.received.some((m) => m.type === 1)));
    await stillSyncing();
    for (const p of peers) p.destroy();
    await Promise.all(peers.map((p) => p.closed));
    await waitFor('inbound connections released', () => target.engine.peers().filter((p) => p.direction === 'inbound').length === 1);
  });

  it('a well-behaved raw peer: PING gets PONG, records merge, unknown versions and controls are skipped', async () => {
    const unknownBefore = target.engine.readCounters().extra.frames_unknown;
    const peer = await RawPeer.open(target.address);
    const unknownControl = rawFrame(14, 1, 0, 0, 1, new Uint8Array([0x63, 0x00]));
    peer.send(Buffer.concat([
      helloFrame(700), pingFrame(), keyvalFrame('kv', 'raw-key', 'raw-value', 700),
      keyvalFrame('kv', 'v2-key', 'x', 700, Date.now(), 2), unknownControl, keyvalFrame('nozone', 'k', 'v', 700),
    ]));
    await waitFor('PONG and record', () => peer.received.some((m) => m.type === 5) && target.get('raw-key') === 'raw-value');
    await waitFor('three frames skipped', () => target.engine.readCounters().extra.frames_unknown === unknownBefore + 3);
    expect(target.get('v2-key')).toBeUndefined();
    expect(peer.isClosed).toBe(false);
    peer.destroy();
  });

  it('a stranger claiming our node id is told so and closed', async () => {
    const peer = await RawPeer.open(target.address);
    peer.send(helloFrame(target.nodeId));
    await peer.closed;
    expect(peer.received.some((m) => m.type === 1 && (m as { nodeId: number }).nodeId === target.nodeId)).toBe(true);
  });

  it('a connection that never says HELLO is closed after zone_sync_connect_timeout', async () => {
    const peer = await RawPeer.open(target.address);
    await peer.closed;
    await sleep(0);
    expect(peer.received).toEqual([]);
    await stillSyncing();
  });
});
