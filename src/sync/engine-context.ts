// What every part of the sync engine reads: set once by the engine (engine.ts), which is
// itself the context it hands its parts. The options object is shared, not copied: a new
// set of timings (setTimings) reaches every part at once.

import type { LogFields, SyncLogger } from './logger.js';
import type { SyncOptions } from './options.js';
import type { SyncTimers } from './timers.js';

export interface EngineContext {
  /** This node's name in HELLO; every info line of the engine carries it as `node`. */
  readonly nodeName: string;
  readonly options: SyncOptions;
  readonly timers: SyncTimers;
  readonly log: SyncLogger;
  /** The shared counters (counters.ts); every part adds to its own words. */
  readonly counters: Float64Array;
  /** log.info with `node: nodeName` first among the fields. */
  info(fields: LogFields, message: string): void;
}
