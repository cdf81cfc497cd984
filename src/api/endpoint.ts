// What the API's router works with: a request's context, and an endpoint (how a path is
// read, and which writes it takes). api-handler.ts dispatches; the files that define
// endpoints (keyvals in api-handler.ts, node status in status-endpoints.ts) build them.

import type { IncomingMessage } from 'node:http';

export type WriteMethod = 'POST' | 'PATCH' | 'DELETE';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly query: URLSearchParams;
  readonly body: Buffer | undefined;
}

/** What a path names: how to read it, and what writes it takes (each answering 201 or 204). */
export interface Endpoint {
  readonly read: (ctx: RequestContext) => unknown;
  readonly writes?: Partial<Record<WriteMethod, (ctx: RequestContext) => Promise<201 | 204>>>;
}

/** An endpoint that lists the names under it ("/9/", "/9/http/"). */
export function listEndpoint(items: readonly string[]): Endpoint {
  return { read: () => items };
}
