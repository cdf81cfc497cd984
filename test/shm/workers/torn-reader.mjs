// Reads the torn-read test's keys, lock-free and through get(), and checks every value.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';
import { checkValue, xorshift } from './torn-value.mjs';
import { zoneGet } from '../../../dist-bench/lib/shm-strings.js';

const { handle, keys, reads, seed } = workerData;
const zone = ShmZone.attach(handle, { ownerId: threadId + 1 });
const rnd = xorshift(seed);

let optimisticValues = 0;
let optimisticNulls = 0;
let bad = 0;
let firstBad = null;
function check(key, value, how) {
  const wrong = checkValue(key, value);
  if (wrong === null) return;
  bad++;
  firstBad ??= `${how} of ${key} ${wrong}: ${value.slice(0, 80)} (${value.length} chars)`;
}

// A few hot keys are read most of the time, so that their records carry the LRU bit.
for (let i = 0; i < reads; i++) {
  const r = rnd();
  const key = `key${(r & 3) === 0 ? r % keys : (r >>> 8) % 8}`;
  zone.setKey(key);
  const value = zone.readValueOptimistic(zone.shardOfKey());
  if (value === null) optimisticNulls++;
  else if (value !== undefined) {
    optimisticValues++;
    check(key, value, 'readValueOptimistic');
  }
  const got = zoneGet(zone, key);
  if (got !== undefined) check(key, got, 'get');
}
parentPort.postMessage({ optimisticValues, optimisticNulls, bad, firstBad });
