// A worker thread doing random operations on shared zones, for the contention tests.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { RecordVersion, ShmZone } from 'native-free-shm';
import { zoneGet, zoneRemove, zoneSet } from '../../../dist-bench/lib/shm-strings.js';

const { dataHandle, counterHandle, seed, ops, keys, increments } = workerData;
const ownerId = threadId + 1;
const data = ShmZone.attach(dataHandle, { ownerId });
const counter = ShmZone.attach(counterHandle, { ownerId });

let state = seed >>> 0 || 1;
function rnd() {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 2 ** 32;
}

const remoteValue = new TextEncoder().encode('remote-value');
const remoteVersion = new RecordVersion();
const counterVersion = new RecordVersion();
let sets = 0, gets = 0, removes = 0, applies = 0, pops = 0, full = 0;
let counted = 0;
for (let i = 0; i < ops; i++) {
  const key = `k${Math.floor(rnd() * keys)}`;
  const r = rnd();
  if (r < 0.35) {
    const ttl = rnd() < 0.2 ? 1 + Math.floor(rnd() * 5) : 0;
    if (zoneSet(data, key, 'v'.repeat(Math.floor(rnd() * 600)), ttl ? Date.now() + ttl : 0) !== 0) full++;
    sets++;
  } else if (r < 0.75) {
    zoneGet(data, key);
    gets++;
  } else if (r < 0.83) {
    zoneRemove(data, key);
    removes++;
  } else if (r < 0.93) {
    data.setKey(key);
    Object.assign(remoteVersion, { stampMs: Date.now() + Math.floor(rnd() * 100) - 50, logical: 0, origin: 1 + Math.floor(rnd() * 5), expireAtMs: 0, tombstone: rnd() < 0.2 });
    const shard = data.shardOfKey();
    data.lock(shard);
    try { data.applyLocked(shard, remoteVersion, remoteValue, 0, remoteValue.length); } finally { data.unlock(shard); }
    applies++;
  } else {
    const shard = Math.floor(rnd() * data.shardCount);
    data.lock(shard);
    for (let n = 0; n < 8 && data.popOutputLocked(shard) !== 0; n++) pops++;
    data.unlock(shard);
  }
  if (counted < increments && i % Math.max(1, Math.floor(ops / increments)) === 0) {
    // Read-modify-write of one counter under its shard lock: lost updates would show a smaller total.
    counter.setKey('counter');
    const shard = counter.shardOfKey();
    counter.lock(shard);
    const rec = counter.findLocked(shard, Date.now());
    const value = rec === 0 ? 0 : Number(counter.valueText(rec));
    const text = new TextEncoder().encode(String(value + 1));
    counterVersion.stampMs = Date.now();
    const out = counter.writeLocked(shard, rec, text.length, counterVersion, true);
    counter.memory.u8.set(text, counter.valueOffset(out));
    counter.unlock(shard);
    counted++;
  }
}
parentPort.postMessage({ sets, gets, removes, applies, pops, full, counted });
