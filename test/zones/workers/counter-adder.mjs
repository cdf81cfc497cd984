// A worker thread that attaches to a counter zone from its handle and adds 1 to one shared
// key `adds` times, and 1 to a key of its own as often.
import { parentPort, workerData } from 'node:worker_threads';
import { CounterZone } from '../../../dist/zones/index.js';

const counter = CounterZone.attach(workerData.counter);
for (let i = 0; i < workerData.adds; i++) {
  counter.add('hits');
  counter.add(`thread-${workerData.index}`, 2, { window: '1h' });
}
parentPort.postMessage('done');
