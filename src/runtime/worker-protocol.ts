import type { HandlerRequest, UpstreamInfo } from './handler-types.js';
import type { ZoneHandles } from './zone-set.js';

/** What every worker thread starts with (piscina workerData): plain, structured-clonable. */
export interface WorkerData {
  zones: ZoneHandles;
  upstreams: UpstreamInfo[];
  /** limit_req_zone KEY templates by zone name ("$binary_remote_addr"). */
  limitReqKeys: Record<string, string>;
  nodeId: number;
  nodeName: string;
}

/** One limit_req rule of a location; delay null means nodelay. */
export interface LimitRule {
  zone: string;
  burst: number;
  delay: number | null;
}

/** One request for a worker: the request, and what its location says about it. */
export interface WorkerTask {
  request: HandlerRequest;
  limitReqs: LimitRule[];
  limitReqStatus: number;
  /** A handler module's path, or null for the built-in handler. */
  handler: string | null;
}
