import type { KeyvalBinding } from '../config/types.js';
import type { HandlerRequest, UpstreamInfo } from './handler-types.js';
import type { ZoneHandles } from './zone-set.js';

/** What every thread that runs handlers starts with: plain, structured-clonable. */
export interface HandlerThreadData {
  zones: ZoneHandles;
  upstreams: UpstreamInfo[];
  nodeId: number;
  nodeName: string;
  /** Threads of each handler thread's ctx.run pool. */
  offloadThreads: number;
  /** The http block's keyval directives: the variables they define are read in limit_req keys and by handlers (ctx.vars). */
  keyvals: KeyvalBinding[];
}

/** One request for a pool worker (the fallback path): the request, past limit_req, and its location's handler. */
export interface WorkerTask {
  request: HandlerRequest;
  /** A handler module's path, or null for the built-in handler. */
  handler: string | null;
}
