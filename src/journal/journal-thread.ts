// Entry of the journal thread (a worker_thread): every few tens of ms, drains the change
// ring of each journaled keyval zone into its journal, fsyncs as the policy says, and
// compacts (zone-journal.ts). Disk waits happen here, never in a thread that serves
// requests. Started by startJournalThread (start-journal-thread.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { postingLogger } from '../thread-logger.js';
import type { FromJournalThread, JournalThreadData, ToJournalThread } from './types.js';
import { ZoneJournal } from './zone-journal.js';

function post(message: FromJournalThread): void {
  parentPort!.postMessage(message);
}

const logger = postingLogger(post);

function main(): void {
  if (parentPort === null) throw new Error('journal-thread.js must run as a worker thread');
  const port = parentPort;
  const data = workerData as JournalThreadData;
  let journals: ZoneJournal[];
  try {
    journals = data.zones.map((z) => new ZoneJournal({ handle: z.handle, newestGeneration: z.newestGeneration, fsync: data.fsync, logger }));
    for (const j of journals) j.open();
  } catch (error) {
    logger.flush();
    post({ type: 'start-failed', message: (error as Error).message });
    port.close();
    return;
  }
  const timer = setInterval(() => {
    for (const j of journals) j.flush();
  }, data.flushIntervalMs);
  port.on('message', (message: ToJournalThread) => {
    switch (message.type) {
      case 'stop': {
        clearInterval(timer);
        const failures: string[] = [];
        for (const j of journals) {
          try {
            j.close();
          } catch (error) {
            failures.push(`zone "${j.name}": ${(error as Error).message}`);
          }
        }
        logger.flush();
        post({ type: 'stopped', failures });
        port.close();
        return;
      }
      case 'set-fsync':
        for (const j of journals) j.setFsync(message.fsync);
        return;
      case 'stats':
        post({ type: 'stats', id: message.id, zones: Object.fromEntries(journals.map((j) => [j.name, { ...j.stats }])) });
        return;
    }
  });
  post({ type: 'ready' });
}

main();
