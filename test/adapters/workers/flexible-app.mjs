// A node:http server on a worker thread that consumes a point of rate-limiter-flexible's
// RateLimiterZonesync per request, on the node's counter zone (workerData.zone, a handle).
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { RateLimiterZonesync } from 'zonesync/rate-limiter-flexible';

const { points, duration, blockDuration } = workerData.options;
const limiter = new RateLimiterZonesync({ zone: workerData.zone, points, duration, blockDuration, keyPrefix: 'flexible' });
const server = createServer((req, res) => {
  limiter.consume(req.headers['x-client']).then(
    () => res.end('ok'),
    (rejection) => {
      res.writeHead(429, { 'retry-after': String(Math.ceil(rejection.msBeforeNext / 1000)) });
      res.end();
    },
  );
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
