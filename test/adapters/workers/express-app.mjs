// An Express app on a worker thread, limited by express-rate-limit with the zonesync store on
// the node's counter zone (workerData.zone, a handle), on a port of its own.
import { parentPort, workerData } from 'node:worker_threads';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { ZonesyncStore } from 'zonesync/express-rate-limit';

const { windowMs, limit, skipSuccessfulRequests } = workerData.options;
const app = express();
app.use(rateLimit({
  windowMs, limit, skipSuccessfulRequests,
  standardHeaders: 'draft-7', legacyHeaders: false,
  store: new ZonesyncStore({ zone: workerData.zone, prefix: 'express:' }),
  keyGenerator: (req) => req.get('x-client'),
}));
app.get('/', (_req, res) => res.send('ok'));
app.get('/fail', (_req, res) => res.status(500).send('failed'));
const server = app.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
