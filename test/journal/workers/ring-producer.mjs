// A worker thread that appends `count` changes to a change ring: key "p<index>:<i>", value
// of i % 97 bytes of the letter of its index, version stamp = i. A full ring makes it retry
// the same change (so that every change lands once), counting the refusals.
import { parentPort, workerData } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { ChangeRing } from '../../../dist/zones/change-ring.js';

const ring = new ChangeRing(workerData.ring, threadId + 1);
const encoder = new TextEncoder();
const letter = String.fromCharCode(97 + workerData.index);
let refused = 0;
for (let i = 0; i < workerData.count; i++) {
  const key = encoder.encode(`p${workerData.index}:${i}`);
  const value = encoder.encode(letter.repeat(i % 97));
  const version = { stampMs: i, logical: workerData.index, origin: 7, expireAtMs: 0, tombstone: i % 5 === 0 };
  while (!ring.append(new DataView(key.buffer), 0, key.length, new DataView(value.buffer), 0, value.length, version)) refused++;
}
parentPort.postMessage({ refused });
