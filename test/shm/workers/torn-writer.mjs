// Rewrites, removes and expires the torn-read test's keys until told to stop.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';
import { makeValue, xorshift } from './torn-value.mjs';
import { zoneRemove, zoneSet } from '../../../dist-bench/lib/shm-strings.js';

const { handle, control, keys, seed } = workerData;
const zone = ShmZone.attach(handle, { ownerId: threadId + 1 });
// control[0]: stop when 1; control[1]: writes made so far, by every writer.
const stop = new Int32Array(control);
const rnd = xorshift(seed);

let writes = 0;
for (let version = seed; Atomics.load(stop, 0) === 0; version++) {
  const r = rnd();
  const key = `key${r % keys}`;
  const op = (r >>> 20) % 20;
  if (op === 0) zoneRemove(zone, key);
  else if (op === 1) zoneSet(zone, key, makeValue(key, version), Date.now() + (r % 3)); // expires at once, or nearly
  else zoneSet(zone, key, makeValue(key, version));
  writes++;
  if ((writes & 255) === 0) Atomics.add(stop, 1, 256);
}
parentPort.postMessage({ writes });
