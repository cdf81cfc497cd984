import { Worker } from 'node:worker_threads';

/**
 * What a Node developer does today to share a Map between threads: keep it in one thread
 * and ask that thread over a MessagePort. `get` is one round trip (postMessage, reply).
 */
export class RemoteMap {
  private readonly worker: Worker;
  private pending: ((value: string | undefined) => void) | undefined;

  constructor(entries: Array<[string, string]>) {
    this.worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const map = new Map(workerData);
       parentPort.on('message', (key) => parentPort.postMessage(map.get(key)));`,
      { eval: true, workerData: entries },
    );
    this.worker.on('message', (value: string | undefined) => {
      const resolve = this.pending;
      this.pending = undefined;
      resolve?.(value);
    });
  }

  /** One request at a time, as an awaiting caller makes them. */
  get(key: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.worker.postMessage(key);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
