// A Fastify app on a worker thread, limited by @fastify/rate-limit with the zonesync store on
// the node's counter zone (workerData.zone, a handle), on a port of its own: a global limit,
// and a route with its own.
import { parentPort, workerData } from 'node:worker_threads';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { fastifyRateLimitStore } from 'zonesync/fastify-rate-limit';

const { timeWindow, max, routeMax, continueExceeding } = workerData.options;
const app = Fastify();
await app.register(rateLimit, {
  max, timeWindow, continueExceeding,
  store: fastifyRateLimitStore({ zone: workerData.zone, prefix: 'fastify:' }),
  keyGenerator: (req) => req.headers['x-client'],
});
app.get('/', async () => 'ok');
app.get('/strict', { config: { rateLimit: { max: routeMax, timeWindow } } }, async () => 'strict');
await app.listen({ port: 0, host: '127.0.0.1' });
parentPort.postMessage({ port: app.server.address().port });
