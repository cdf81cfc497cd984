import { zoneGet, zoneSet } from '../lib/shm-strings.js';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone, type ZoneHandle } from 'native-free-shm';
import { HOT_KEY_MASK, KEY_COUNT, makeKeys, makeValue, type ContentionMode } from './workload.js';
import { xorshift } from '../lib/report.js';

interface Job {
  handle: ZoneHandle;
  control: SharedArrayBuffer; // [0] start flag, [1] stop flag
  seed: number;
  mode: ContentionMode;
}

const { handle, control, seed, mode } = workerData as Job;
const zone = ShmZone.attach(handle, { ownerId: threadId + 1 });
const flags = new Int32Array(control);
const keys = makeKeys();
const values = keys.map((_, i) => makeValue(i));
const next = xorshift(seed);
const local = new Map<string, string>();
if (mode === 'map') keys.forEach((k, i) => local.set(k, values[i]!));

/** get as it was before the lock-free path: lock, find, mark used, decode, unlock. */
function getLocked(key: string): string | undefined {
  zone.setKey(key);
  return zone.readCurrentWithLock();
}

/** 256 operations of a hot mode: `locked` picks the read path. */
function hotBatch(locked: boolean): number {
  let missed = 0;
  for (let n = 0; n < 256; n++) {
    const r = next();
    const k = r & HOT_KEY_MASK;
    if ((r >>> 24) === 0) zoneSet(zone, keys[k]!, values[k]!);
    else if ((locked ? getLocked(keys[k]!) : zoneGet(zone, keys[k]!)) === undefined) missed++;
  }
  return missed;
}

parentPort!.postMessage('ready');
Atomics.wait(flags, 0, 0);
let ops = 0;
let misses = 0;
// 90% get, 10% set, uniform over the keys, checking the stop flag every 256 operations.
while (Atomics.load(flags, 1) === 0) {
  if (mode === 'map') {
    for (let n = 0; n < 256; n++) {
      const r = next();
      const k = r % KEY_COUNT;
      if ((r >>> 24) < 26) local.set(keys[k]!, values[k]!);
      else if (local.get(keys[k]!) === undefined) misses++;
    }
  } else if (mode === 'hot' || mode === 'hot-locked') {
    misses += hotBatch(mode === 'hot-locked');
  } else {
    for (let n = 0; n < 256; n++) {
      const r = next();
      const k = r % KEY_COUNT;
      if ((r >>> 24) < 26) zoneSet(zone, keys[k]!, values[k]!);
      else if (zoneGet(zone, keys[k]!) === undefined) misses++;
    }
  }
  ops += 256;
}
parentPort!.postMessage({ ops, misses });
