// Writes and removes as fast as it can until terminated at an arbitrary point.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';

const zone = ShmZone.attach(workerData.handle, { ownerId: threadId + 1 });
parentPort.postMessage('started');
for (let i = 0; ; i++) {
  zone.set(`w${i % 5000}`, 'x'.repeat(i % 700));
  if (i % 3 === 0) zone.remove(`w${(i * 7) % 5000}`);
}
