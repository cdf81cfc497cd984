import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

/** How long an offload thread with nothing to do lives on. */
const IDLE_MS = 30_000;

/**
 * The piscina pool behind a handler's `ctx.run(module, task)`: CPU-heavy work that must not
 * stall the thread serving HTTP. One pool per thread that runs handlers, created on the
 * first task (a node whose handlers never offload starts no thread), its threads ended once
 * idle.
 */
export class OffloadPool {
  private readonly maxThreads: number;
  private pool: Piscina | null = null;

  constructor(maxThreads: number) {
    this.maxThreads = Math.max(1, maxThreads);
  }

  run(module: string | URL, task: unknown): Promise<unknown> {
    this.pool ??= new Piscina({ minThreads: 0, maxThreads: this.maxThreads, idleTimeout: IDLE_MS });
    return this.pool.run(task, { filename: moduleUrl(module) });
  }

  /** Waits for the tasks in progress, then ends the threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** A module path (relative to the working directory) or URL as the file: URL piscina loads. */
function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return module.startsWith('file:') ? module : pathToFileURL(resolve(module)).href;
}
