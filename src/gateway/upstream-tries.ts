// The upstream servers each proxied answer was asked of, in order, as the access log's
// $upstream_addr, $upstream_status, $upstream_response_time and $upstream_header_time list
// them ("10.0.0.1:80, 10.0.0.2:80"). Kept beside the client's response, for as long as it lives.

import type { ServerResponse } from 'node:http';

export interface UpstreamTry {
  /** The server as the configuration names it. */
  readonly address: string;
  /** Its answer's status; 502 when it failed, 504 when it timed out (as nginx logs them); 0: none (the client went away). */
  readonly status: number;
  /** From the try's start to the end of its answer, or to its failure. */
  readonly responseMs: number;
  /** From the try's start to the answer's head; null: none came. */
  readonly headerMs: number | null;
}

const tries = new WeakMap<ServerResponse, UpstreamTry[]>();

export function recordTry(res: ServerResponse, upstreamTry: UpstreamTry): void {
  const list = tries.get(res);
  if (list === undefined) tries.set(res, [upstreamTry]);
  else list.push(upstreamTry);
}

export function triesOf(res: ServerResponse): readonly UpstreamTry[] {
  return tries.get(res) ?? [];
}
