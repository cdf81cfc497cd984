// A worker thread that attaches to a keyval zone and writes keys "w<index>:<i>", deleting
// every third one after writing it.
import { parentPort, workerData } from 'node:worker_threads';
import { KeyvalZone } from '../../../dist/zones/index.js';

const kv = KeyvalZone.attach(workerData.handle);
for (let i = 0; i < workerData.count; i++) {
  kv.set(`w${workerData.index}:${i}`, `value ${i}`);
  if (i % 3 === 0) kv.delete(`w${workerData.index}:${i}`);
}
parentPort.postMessage('done');
