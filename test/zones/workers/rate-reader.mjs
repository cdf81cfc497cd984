// A worker thread attached to a limit_req zone: at each message, the zone's rate as this
// thread judges by it, and the Retry-After of a full key's next request.
import { parentPort, workerData } from 'node:worker_threads';
import { LimitReqZone } from '../../../dist/zones/index.js';

const zone = LimitReqZone.attach(workerData.limit);
parentPort.on('message', (key) => {
  const options = { burst: 0, nodelay: true };
  zone.take(key, options);
  parentPort.postMessage({ rate: zone.rateMilliPerSecond, retryAfterMs: zone.take(key, options).retryAfterMs });
});
