import { createHash } from 'node:crypto';
import type { StickyZoneConfig } from '../config/types.js';
import type { StickyZone } from '../zones/sticky/sticky-zone.js';
import type { CompiledTemplate, ProxyFacts, RequestFacts, Variables } from './variables.js';

/**
 * NGINX Plus's `sticky learn` (ngx_http_upstream_sticky_module): a request's session is the
 * first non-empty `lookup=` variable; a session the zone knows sends the request to its
 * server, when that server can be chosen. When a server answers (at the end of the answer,
 * or once its header arrives with `header`), the session is learned: the first non-empty
 * `create=` variable (usually $upstream_cookie_NAME, the cookie the server set) names a new
 * session bound to that server; failing that, the request's own session is bound to it. A
 * known session that another server answered (its own was down or failed) is moved to that
 * server, as NGINX Plus does. Sessions live in the zone `timeout` after their last use; with
 * `sync`, every node of the cluster routes them alike.
 *
 * The zone keys sessions by their id; an id longer than the zone's key limit is keyed by
 * "md5:" and its MD5 digest (nginx keys every session by its MD5).
 */
export class StickyLearn {
  readonly zone: StickyZone;
  /** Learn once the answer's header arrived (`header`), not when the answer is complete. */
  readonly atHeader: boolean;
  private readonly lookups: readonly CompiledTemplate[];
  private readonly creates: readonly CompiledTemplate[];

  constructor(zone: StickyZone, config: Pick<StickyZoneConfig, 'create' | 'lookup' | 'header'>, variables: Variables) {
    this.zone = zone;
    this.atHeader = config.header;
    this.lookups = config.lookup.map((t) => variables.compile(t));
    this.creates = config.create.map((t) => variables.compile(t));
  }

  /** The request's session id: its first non-empty lookup= variable; '' when none. */
  sessionOf(req: RequestFacts): string {
    return firstNonEmpty(this.lookups, req);
  }

  /** The server a session is bound to, or undefined when the zone does not know it. */
  serverOf(session: string): string | undefined {
    return session === '' ? undefined : this.zone.lookup(this.keyOf(session));
  }

  /** After `server` answered the request (whose session was `session`): learns or moves the session. */
  learn(req: RequestFacts, proxy: ProxyFacts, session: string, server: string): void {
    const created = firstNonEmpty(this.creates, req, proxy);
    const id = created !== '' ? created : session;
    if (id === '') return;
    const key = this.keyOf(id);
    const known = this.zone.lookup(key);
    if (known === server) return;
    if (known !== undefined || created !== '') this.zone.learn(key, server);
  }

  private keyOf(id: string): string {
    const max = this.zone.settings.maxSessionBytes;
    if (id.length <= max && Buffer.byteLength(id) <= max) return id;
    return `md5:${createHash('md5').update(id).digest('base64url')}`;
  }
}

function firstNonEmpty(templates: readonly CompiledTemplate[], req: RequestFacts, proxy?: ProxyFacts): string {
  for (const t of templates) {
    const v = t(req, proxy);
    if (v !== '') return v;
  }
  return '';
}
