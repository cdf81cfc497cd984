import { Piscina } from 'piscina';
import type { Logger } from './logger.js';
import type { HandlerResponse } from './handler-types.js';
import type { HandlerThreadData, WorkerTask } from './worker-protocol.js';

/**
 * The fallback path's N worker threads (piscina), each attached to every zone, running the
 * handlers of the primary's front end. A worker that dies is replaced by piscina;
 * `onWorkerExit` receives its thread id so the primary can force open any zone lock it held
 * (the lock word holds threadId + 1), and whether it died (an exit other than the pool's own
 * closing).
 */
export class WorkerPool {
  readonly pool: Piscina<WorkerTask, HandlerResponse>;
  readonly size: number;
  private closing = false;
  private closed: Promise<void> | null = null;

  constructor(size: number, data: HandlerThreadData, logger: Logger, onWorkerExit: (threadId: number, died: boolean) => void) {
    this.size = size;
    this.pool = new Piscina({
      filename: new URL('./worker-entry.cjs', import.meta.url).href,
      minThreads: size,
      maxThreads: size,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: data,
      name: 'default',
    });
    this.pool.on('workerCreate', (w: { id: number }) => {
      const id = w.id;
      const thread = this.pool.threads.find((t) => t.threadId === id);
      thread?.once('exit', (code) => {
        const died = code !== 0 && !this.closing;
        if (died) logger.error({ threadId: id, code }, 'worker thread exited');
        onWorkerExit(id, died);
      });
    });
    this.pool.on('error', (err: unknown) => logger.error({ err }, 'worker pool error'));
  }

  run(task: WorkerTask): Promise<HandlerResponse> {
    return this.pool.run(task);
  }

  /** Waits for the tasks in progress, then ends the threads; a second call waits for the first. */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= this.pool.close({ force: false });
    return this.closed;
  }

  async destroy(): Promise<void> {
    this.closing = true;
    await this.pool.destroy();
  }
}
