// Takes a shard lock (optionally in the middle of a change) and never lets go, until terminated.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ShmZone } from 'native-free-shm';

const { handle, shard, midMutation } = workerData;
const zone = ShmZone.attach(handle, { ownerId: threadId + 1 });
zone.lock(shard);
if (midMutation) zone.expireLocked(shard, 0, 1); // marks the shard as being changed
parentPort.postMessage('locked');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
