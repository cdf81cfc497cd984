import { randomFillSync } from 'node:crypto';
import type { Handler, HandlerContext, HandlerRequest, HandlerResponse } from './handler-types.js';
import { cookie } from '../gateway/variables.js';

/**
 * The built-in handler: NGINX Plus's three uses of synced zones in one small service.
 *  - a deny list: the first keyval zone of `type=ip`; a client whose address matches a
 *    stored address or block with a value other than "" or "0" gets 403;
 *  - a request-rate limit per client: the location's `limit_req` (applied before the
 *    handler runs; 503 when over, as nginx);
 *  - session persistence: the first upstream with `sticky learn`; the `session` cookie maps
 *    to one of its servers, learned on the first request and synced to every node.
 * It answers which node, worker thread and upstream server served the request, as JSON (a
 * refusal by the deny list says which worker thread refused).
 */
export const SESSION_COOKIE = 'session';
let roundRobin = 0;

export const defaultHandler: Handler = (req, ctx) => {
  const denied = denyListMatch(req, ctx);
  if (denied !== undefined) return json(403, { error: 'forbidden', client: req.remoteAddress, reason: denied, worker: ctx.workerId });
  const { server, session, learned } = stickyServer(req, ctx);
  const res = json(200, { node: ctx.nodeName, nodeId: ctx.nodeId, worker: ctx.workerId, server, session, client: req.remoteAddress });
  if (learned) res.headers!['set-cookie'] = `${SESSION_COOKIE}=${session}; Path=/; HttpOnly`;
  return res;
};

function denyListMatch(req: HandlerRequest, ctx: HandlerContext): string | undefined {
  for (const zone of ctx.keyval.values()) {
    if (zone.type !== 'ip') continue;
    const value = zone.match(req.remoteAddress);
    return value === undefined || value === '' || value === '0' ? undefined : value;
  }
  return undefined;
}

function stickyServer(req: HandlerRequest, ctx: HandlerContext): { server: string | null; session: string | null; learned: boolean } {
  for (const upstream of ctx.upstreams.values()) {
    if (upstream.stickyZone === null || upstream.servers.length === 0) continue;
    const zone = ctx.sticky.get(upstream.stickyZone);
    if (zone === undefined) continue;
    const given = cookie(req, SESSION_COOKIE);
    const known = given === '' ? undefined : safeLookup(() => zone.lookup(given));
    if (known !== undefined) return { server: known, session: given, learned: false };
    const server = upstream.servers[roundRobin++ % upstream.servers.length]!;
    const session = newSessionId();
    zone.learn(session, server);
    return { server, session, learned: true };
  }
  return { server: null, session: null, learned: false };
}

const SESSION_ID_BYTES = 12;
/** Random bytes for session ids, drawn from the CSPRNG 512 ids at a time: one call per id cost a tenth of a request. */
const sessionPool = Buffer.allocUnsafe(SESSION_ID_BYTES * 512);
let sessionPoolUsed = sessionPool.length;

/** A new session id: 12 random bytes, as 24 hex digits. */
function newSessionId(): string {
  if (sessionPoolUsed === sessionPool.length) {
    randomFillSync(sessionPool);
    sessionPoolUsed = 0;
  }
  const id = sessionPool.toString('hex', sessionPoolUsed, sessionPoolUsed + SESSION_ID_BYTES);
  sessionPoolUsed += SESSION_ID_BYTES;
  return id;
}

function safeLookup(lookup: () => string | undefined): string | undefined {
  try {
    return lookup();
  } catch {
    return undefined; // a cookie that can be no session id of ours (too long): a new session
  }
}

function json(status: number, body: unknown): HandlerResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) + '\n' };
}
