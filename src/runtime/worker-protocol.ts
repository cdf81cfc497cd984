import type { HandlerRequest, HandlerResponse, UpstreamInfo } from './handler-types.js';
import type { NodeCountersHandle } from './node-counters.js';
import type { ZoneHandles } from './zone-set.js';

/** What every worker thread starts with (piscina workerData): plain, structured-clonable. */
export interface WorkerData {
  zones: ZoneHandles;
  upstreams: UpstreamInfo[];
  /** limit_req_zone KEY templates by zone name ("$binary_remote_addr"). */
  limitReqKeys: Record<string, string>;
  nodeId: number;
  nodeName: string;
  /** The node's shared counters (limit_req outcomes, among others). */
  counters: NodeCountersHandle;
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

/**
 * A worker's answer to a task: the handler's response; or, when the location's limit_req
 * admits the request with a delay, how long to hold it. The request is then accounted: the
 * front end waits (holding no worker, as nginx holds a delayed request on a timer) and runs
 * the task again without its limit_req rules.
 */
export type WorkerAnswer = { response: HandlerResponse } | { delayMs: number };
