// A project that installed the zonesync tarball, compiled with strict settings: a keyval
// zone created in the main thread and attached in a worker thread, a write in each seen by
// the other. typesOnly() is never run: it checks that the integrations type-check.
import { createServer } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pino, { type BaseLogger, type Bindings, type ChildLoggerOptions } from 'pino';
import { Registry } from 'prom-client';
import {
  KeyvalZone, ZoneArgumentError, forkClusterMembers, startClusterMember, startNode,
  type ClusterMemberConfig, type Logger, type StartNodeOptions, type ZonesyncNode,
} from 'zonesync';

if (isMainThread) {
  const zone = KeyvalZone.create({ name: 'shared', size: '64k', timeout: '1h', sync: true });
  zone.set('from-main', 'hello');
  const worker = new Worker(new URL(import.meta.url), { workerData: zone.handle });
  const workerSaw = await new Promise<string | null>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  console.log(JSON.stringify({ workerSaw, mainSees: zone.get('from-worker') ?? null }));
  await worker.terminate();
} else {
  const zone = KeyvalZone.attach(workerData as KeyvalZone['handle']);
  zone.set('from-worker', 'hi');
  parentPort!.postMessage(zone.get('from-main') ?? null);
}

// Fastify's logger type (fastify's types/logger.d.ts): pino's BaseLogger, with a child of its own kind.
type FastifyBaseLogger = BaseLogger & { child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger };
declare const fastifyLog: FastifyBaseLogger;

export async function typesOnly(): Promise<void> {
  const loggers: Logger[] = [pino(), fastifyLog];
  const options: StartNodeOptions = { logger: loggers[0]!, workers: 0 };
  const node: ZonesyncNode = await startNode({ zones: [{ kind: 'keyval', name: 'one', sizeBytes: 1 << 20 }] }, options);
  node.metrics.registerIn(new Registry());
  const member: ClusterMemberConfig = { zones: [{ kind: 'keyval', name: 'one', sizeBytes: 1 << 20, timeoutMs: 60_000, sync: true }], stream: { sync: { intervalMs: 100 } } };
  const same: ZonesyncNode = await startClusterMember(member, { members: 4, logger: fastifyLog, takeoverTimeoutMs: 10_000 });
  // The README's member configuration written `as const` instead of typed.
  const literal = { zones: [{ kind: 'keyval', name: 'sessions', sizeBytes: 1 << 20, timeoutMs: 3_600_000, sync: true }], stream: { sync: { intervalMs: 50 } } } as const;
  await startClusterMember(literal);
  // The README's limit_req zone taken from code (no key expression), and its Retry-After.
  const limited = await startNode({ zones: [{ kind: 'limit_req', name: 'per-client', sizeBytes: 1 << 20, rate: '10r/s', sync: true }] });
  createServer((req, res) => {
    const r = limited.zones.limitReq.get('per-client')!.take(req.socket.remoteAddress ?? '', { burst: 20 });
    if (!r.allowed) {
      res.writeHead(429, Number.isFinite(r.retryAfterMs) ? { 'retry-after': String(Math.ceil(r.retryAfterMs / 1000)) } : {}).end();
    }
  });
  forkClusterMembers(4).workers.get(0)?.process.pid;
  const error: Error = new ZoneArgumentError('x');
  await Promise.all([node.stop(), same.stop(), Promise.resolve(error)]);
}
