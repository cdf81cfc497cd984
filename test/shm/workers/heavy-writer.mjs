// Writes and removes as fast as it can until terminated at an arbitrary point.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';
import { zoneRemove, zoneSet } from '../../../dist-bench/lib/shm-strings.js';

const zone = ShmZone.attach(workerData.handle, { ownerId: threadId + 1 });
parentPort.postMessage('started');
for (let i = 0; ; i++) {
  zoneSet(zone, `w${i % 5000}`, 'x'.repeat(i % 700));
  if (i % 3 === 0) zoneRemove(zone, `w${(i * 7) % 5000}`);
}
