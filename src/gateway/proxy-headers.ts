import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProxySetHeader } from '../config/types.js';
import type { CompiledTemplate, ProxyFacts, RequestFacts, Variables } from './variables.js';

/*
 * The fields of the client's request nginx's proxy module does not pass (ngx_http_proxy_headers):
 * Connection (replaced), Keep-Alive, TE, Expect, Upgrade, and the framing of the body, which
 * the connection to the upstream has its own of. Proxy-Connection and the fields a Connection
 * field names are passed, as nginx passes them.
 */
const REQUEST_HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'te', 'expect', 'upgrade', 'transfer-encoding']);

/* The fields of an upstream's answer that belong to its connection (the client's connection has its own): never passed. */
const RESPONSE_HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'transfer-encoding'];

/* What proxy_hide_header hides by default: Date and Server (the front end writes its own Date), X-Pad and the X-Accel-* fields. */
const HIDDEN_BY_DEFAULT: readonly string[] = [
  'date', 'server', 'x-pad', 'x-accel-expires', 'x-accel-redirect', 'x-accel-limit-rate', 'x-accel-buffering', 'x-accel-charset',
];

/** The request's fields for the upstream, and whether its connection may be kept. */
export interface UpstreamRequestHead {
  readonly headers: Record<string, string | string[]>;
  /** "Connection: close" was asked for with proxy_set_header. */
  readonly close: boolean;
  /**
   * The protocol to ask the upstream to switch to: the value of proxy_set_header Upgrade when
   * proxy_set_header Connection has the "upgrade" token (nginx sends both fields as they
   * are; a 101 answer then makes the connection a tunnel); '' when either is missing.
   */
  readonly upgrade: string;
}

/** Whether a location's proxy_set_header list may ask upstream servers for an upgrade. */
export function passesUpgrades(setHeaders: readonly ProxySetHeader[]): boolean {
  return setHeaders.some((h) => h.name.toLowerCase() === 'upgrade' && h.value !== '');
}

interface CompiledSetHeader {
  readonly name: string;
  readonly value: CompiledTemplate;
}

/**
 * A location's proxy_set_header list, compiled once, over nginx's defaults: Host is
 * $proxy_host unless set; a field set to "" is not sent; Connection is the connection's
 * own business (kept alive with `keepalive`, else closed), so only "close" is honoured, and
 * "upgrade" with an Upgrade value, which asks the server for an upgrade.
 */
export class RequestHeaderRules {
  private readonly sets: readonly CompiledSetHeader[];
  private readonly setNames: ReadonlySet<string>;

  constructor(setHeaders: readonly ProxySetHeader[], variables: Variables) {
    const withHost = setHeaders.some((h) => h.name.toLowerCase() === 'host') ? setHeaders : [{ name: 'Host', value: '$proxy_host' }, ...setHeaders];
    this.sets = withHost.map((h) => ({ name: h.name.toLowerCase(), value: variables.compile(h.value) }));
    this.setNames = new Set(this.sets.map((s) => s.name));
  }

  headersFor(req: RequestFacts & { readonly headers: IncomingHttpHeaders }, proxy: ProxyFacts): UpstreamRequestHead {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || REQUEST_HOP_BY_HOP.has(name) || this.setNames.has(name)) continue;
      headers[name] = value;
    }
    let close = false;
    let connectionUpgrade = false;
    let upgrade = '';
    for (const set of this.sets) {
      const value = set.value(req, proxy);
      if (set.name === 'connection') {
        const tokens = value.toLowerCase().split(',').map((t) => t.trim());
        close = tokens.includes('close');
        connectionUpgrade = tokens.includes('upgrade');
      } else if (set.name === 'upgrade') upgrade = value;
      else if (value !== '' && !REQUEST_HOP_BY_HOP.has(set.name)) headers[set.name] = value;
    }
    return { headers, close, upgrade: connectionUpgrade ? upgrade : '' };
  }
}

/**
 * Which fields of an upstream's answer go to the client, for a location's proxy_hide_header
 * and proxy_pass_header: nginx's hidden ones less those passed, plus those hidden, and never
 * the connection's own.
 */
export class ResponseHeaderRules {
  private readonly hidden: ReadonlySet<string>;

  constructor(hide: readonly string[], pass: readonly string[]) {
    const passed = new Set(pass.map((n) => n.toLowerCase()));
    this.hidden = new Set([...RESPONSE_HOP_BY_HOP, ...HIDDEN_BY_DEFAULT.filter((n) => !passed.has(n)), ...hide.map((n) => n.toLowerCase())]);
  }

  headersFor(upstream: Readonly<Record<string, string | string[] | undefined>>): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstream)) {
      if (value !== undefined && !this.hidden.has(name)) out[name] = value;
    }
    return out;
  }
}
