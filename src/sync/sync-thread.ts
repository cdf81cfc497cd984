// Entry of the sync thread (a worker_thread): builds a SyncEngine from workerData over real
// sockets and timers, forwards its log lines to the parent, answers status requests and
// stops gracefully on request. Started by startSyncThread (start-sync-thread.ts).
// zone_sync_server lines go through Discovery (names resolved, `resolve` re-resolved),
// which hands the engine addresses.

import { parentPort, workerData } from 'node:worker_threads';
import { Discovery } from './discovery.js';
import { SyncEngine } from './engine.js';
import type { LogFields, SyncLogger } from './logger.js';
import { realTimers } from './timers.js';
import type { FromSyncThread, SyncThreadData, ToSyncThread } from './types.js';

function post(message: FromSyncThread): void {
  parentPort!.postMessage(message);
}

const logger: SyncLogger = {
  info: (fields: LogFields, message: string) => post({ type: 'log', level: 'info', fields, message }),
  warn: (fields: LogFields, message: string) => post({ type: 'log', level: 'warn', fields, message }),
  error: (fields: LogFields, message: string) => post({ type: 'log', level: 'error', fields, message }),
  session: (session) => post({ type: 'session', session }),
};

async function main(): Promise<void> {
  if (parentPort === null) throw new Error('sync-thread.js must run as a worker thread');
  const data = workerData as SyncThreadData;
  let engine: SyncEngine;
  let discovery: Discovery;
  try {
    // Certificates and keys are read here: a bad one fails the start with its reason.
    engine = new SyncEngine({
      nodeId: data.nodeId,
      nodeName: data.nodeName,
      descriptors: data.descriptors,
      clockBuffer: data.clockBuffer,
      countersBuffer: data.countersBuffer,
      options: { ...data.options, servers: [] },
      logger,
    });
    discovery = new Discovery({
      resolver: engine.options.resolver, timers: realTimers, log: logger, apply: (targets) => engine.setServers(targets),
    });
  } catch (error) {
    post({ type: 'start-failed', message: (error as Error).message });
    parentPort.close();
    return;
  }
  parentPort.on('message', (message: ToSyncThread) => {
    switch (message.type) {
      case 'stop':
        discovery.stop();
        void engine.stop().then(() => {
          post({ type: 'stopped' });
          parentPort!.close();
        });
        return;
      case 'status':
        post({ type: 'status', id: message.id, peers: engine.peers() });
        return;
      case 'set-servers':
        discovery.setServers(message.servers);
        return;
      case 'set-timings':
        engine.setTimings(message.timings);
        return;
    }
  });
  try {
    await engine.start();
  } catch (error) {
    post({ type: 'start-failed', message: (error as Error).message });
    parentPort.close();
    return;
  }
  discovery.setServers(data.options.servers ?? []);
  post({ type: 'ready', listenAddress: engine.listenAddress });
}

void main();
