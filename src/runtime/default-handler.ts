import { randomFillSync } from 'node:crypto';
import type { Handler, HandlerContext, HandlerRequest, HandlerResponse } from './handler-types.js';
import { cookieReader } from '../gateway/variables.js';
import type { KeyvalZone } from '../zones/keyval/keyval-zone.js';
import type { StickyZone } from '../zones/sticky/sticky-zone.js';

/**
 * The built-in handler: NGINX Plus's three uses of synced zones in one small service.
 *  - a deny list: the first keyval zone of `type=ip`; a client whose address matches a
 *    stored address or block with a value other than "" or "0" gets 403;
 *  - a request-rate limit per client: the location's `limit_req` (applied before the
 *    handler runs; 503 when over, as nginx);
 *  - session persistence: the first upstream with `sticky learn` (and servers, and its zone
 *    here); the `session` cookie maps to one of its servers, learned on the first request
 *    and synced to every node.
 * It answers which node, worker thread and upstream server served the request, as JSON (a
 * refusal by the deny list says which worker thread refused).
 *
 * A thread's zones and upstreams never change while it runs, so the handler is made once
 * per context: the zones it uses found, and the JSON of what every answer shares written.
 */
export const SESSION_COOKIE = 'session';

export function defaultHandlerFor(ctx: HandlerContext): Handler {
  const denyList = denyListOf(ctx);
  const sticky = stickyOf(ctx);
  const readSession = cookieReader(SESSION_COOKIE);
  // The answer's fields, in this order: node, nodeId, worker, server, session, client.
  const head = `{"node":${JSON.stringify(ctx.nodeName)},"nodeId":${JSON.stringify(ctx.nodeId)},"worker":${JSON.stringify(ctx.workerId)},"server":`;
  const clientJson = lastJson();
  let roundRobin = 0;

  return (req: HandlerRequest): HandlerResponse => {
    const denied = denyList === null ? undefined : denyListMatch(denyList, req.remoteAddress);
    if (denied !== undefined) return json(403, { error: 'forbidden', client: req.remoteAddress, reason: denied, worker: ctx.workerId });
    if (sticky === null) return answer(`${head}null,"session":null,"client":${clientJson(req.remoteAddress)}}\n`);
    const given = readSession(req);
    const known = given === '' ? undefined : safeLookup(sticky.zone, given);
    if (known !== undefined) {
      return answer(`${head}${JSON.stringify(known)},"session":${JSON.stringify(given)},"client":${clientJson(req.remoteAddress)}}\n`);
    }
    const i = roundRobin++ % sticky.servers.length;
    const session = newSessionId();
    sticky.zone.learn(session, sticky.servers[i]!);
    const res = answer(`${head}${sticky.serversJson[i]},"session":"${session}","client":${clientJson(req.remoteAddress)}}\n`);
    res.headers!['set-cookie'] = `${SESSION_COOKIE}=${session}; Path=/; HttpOnly`;
    return res;
  };
}

/** The deny list: the first keyval zone of type=ip, or null. */
function denyListOf(ctx: HandlerContext): KeyvalZone | null {
  for (const zone of ctx.keyval.values()) if (zone.type === 'ip') return zone;
  return null;
}

interface StickyPlan {
  readonly zone: StickyZone;
  readonly servers: readonly string[];
  /** Each server as a JSON string. */
  readonly serversJson: readonly string[];
}

/** The first upstream with a sticky zone of this node and servers, or null. */
function stickyOf(ctx: HandlerContext): StickyPlan | null {
  for (const upstream of ctx.upstreams.values()) {
    if (upstream.stickyZone === null || upstream.servers.length === 0) continue;
    const zone = ctx.sticky.get(upstream.stickyZone);
    if (zone === undefined) continue;
    const servers = [...upstream.servers];
    return { zone, servers, serversJson: servers.map((s) => JSON.stringify(s)) };
  }
  return null;
}

function denyListMatch(zone: KeyvalZone, address: string): string | undefined {
  const value = zone.match(address);
  return value === undefined || value === '' || value === '0' ? undefined : value;
}

/** JSON.stringify of a string, remembered for the last string given (a client sends many requests in a row). */
function lastJson(): (text: string) => string {
  let last = '';
  let lastText = '""';
  return (text) => {
    if (text !== last) {
      last = text;
      lastText = JSON.stringify(text);
    }
    return lastText;
  };
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

function safeLookup(zone: StickyZone, session: string): string | undefined {
  try {
    return zone.lookup(session);
  } catch {
    return undefined; // a cookie that can be no session id of ours (too long): a new session
  }
}

function answer(body: string): HandlerResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

function json(status: number, body: unknown): HandlerResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) + '\n' };
}
