import type { KeyvalZone } from '../zones/keyval/keyval-zone.js';
import type { LimitReqZone } from '../zones/limit-req/limit-req-zone.js';
import type { StickyZone } from '../zones/sticky/sticky-zone.js';
import type { CounterZone } from '../zones/counter/counter-zone.js';

/** An HTTP request as a handler receives it: plain data (on the fallback path it crosses threads). */
export interface HandlerRequest {
  method: string;
  /** Path and query, as the client sent them. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text ('' when none). */
  body: string;
  remoteAddress: string;
  remotePort: number;
}

/** What a handler returns; status defaults to 200. */
export interface HandlerResponse {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}

export interface UpstreamInfo {
  name: string;
  servers: string[];
  /** The sticky learn zone of the upstream, if any. */
  stickyZone: string | null;
}

/** What a handler can use: every zone of the node, by name, and who is serving. */
export interface HandlerContext {
  keyval: Map<string, KeyvalZone>;
  limitReq: Map<string, LimitReqZone>;
  sticky: Map<string, StickyZone>;
  /** zonesync_counter_zone zones: one count per key for the cluster (the stores of zonesync/express-rate-limit, … take them). */
  counter: Map<string, CounterZone>;
  upstreams: Map<string, UpstreamInfo>;
  nodeId: number;
  nodeName: string;
  /** The id of the thread running the handler. */
  workerId: number;
  /**
   * Runs CPU-heavy work off the serving thread, on a piscina pool: `module` (a path or a
   * file: URL) is a module whose default export takes `task` and returns the result (or a
   * promise of it). The pool starts on first use and its threads end when idle.
   */
  run(module: string | URL, task: unknown): Promise<unknown>;
  /**
   * nginx's variables for a request: `ctx.vars.get('$text', req)` is the value the `keyval`
   * directive defining $text finds; the request variables ($arg_NAME, $cookie_NAME, …) too.
   */
  vars: { get(name: string, request: HandlerRequest): string };
}

/** A handler module's default export. */
export type Handler = (request: HandlerRequest, context: HandlerContext) => HandlerResponse | Promise<HandlerResponse>;
