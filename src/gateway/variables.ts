import type { KeyvalBinding } from '../config/types.js';
import type { KeyvalZone } from '../zones/keyval/keyval-zone.js';

/**
 * What of a request nginx's variables read. A HandlerRequest has it, and so has the front end
 * before it builds one; the fields after the first three are read only by the variables that
 * need them.
 */
export interface RequestFacts {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** As $remote_addr shows it ("1.2.3.4" for an IPv4 client on a dual-stack socket). */
  readonly remoteAddress: string;
  readonly method?: string;
  readonly remotePort?: number;
}

/** What a proxied request adds: the upstream's answer (once it came) and the proxy_pass host. */
export interface ProxyFacts {
  /** $proxy_host: the host (and port, if not 80) of proxy_pass. */
  readonly proxyHost?: string;
  /** The upstream server's answer; undefined before it arrives. */
  readonly upstream?: UpstreamFacts;
}

export interface UpstreamFacts {
  /** Field names in lower case; a field sent several times is an array (Set-Cookie). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly status: number;
  /** $upstream_addr: the server that answered, as the configuration names it. */
  readonly address: string;
}

/** A template compiled once: evaluating it walks its parts, with no parsing per request. */
export type CompiledTemplate = (req: RequestFacts, proxy?: ProxyFacts) => string;

/** `keyval KEY $VARIABLE zone=NAME;` with its zone attached in this thread. */
export interface KeyvalVariable {
  /** With its "$". */
  readonly variable: string;
  readonly key: string;
  readonly zone: KeyvalZone;
}

const VARIABLE = /\$(\{\w+\}|\w+)/g;

/**
 * nginx's variables in templates (limit_req_zone keys, keyval keys, sticky learn create= and
 * lookup=, proxy_set_header values, return text): $remote_addr, $binary_remote_addr (the
 * address as text), $remote_port, $uri, $request_uri, $args, $query_string, $request_method,
 * $scheme, $host, $http_NAME, $arg_NAME, $cookie_NAME, the proxy's $proxy_host,
 * $proxy_add_x_forwarded_for, $upstream_addr, $upstream_status, $upstream_http_NAME and
 * $upstream_cookie_NAME, and each variable a `keyval` directive defines (the value its zone
 * holds for the key: an exact match in a string zone, the longest match in an ip or prefix
 * zone). An unknown variable, or one with no value, evaluates to '', as nginx's empty value.
 */
export class Variables {
  private readonly keyvals = new Map<string, KeyvalVariable>();
  private readonly compiledKeyvals = new Map<string, CompiledTemplate>();
  private readonly byName = new Map<string, CompiledTemplate>();
  /* Keyval variables whose key is being compiled: a key that names its own variable, directly or not, evaluates to ''. */
  private readonly compiling = new Set<string>();

  constructor(keyvals: readonly KeyvalVariable[] = []) {
    for (const k of keyvals) this.keyvals.set(k.variable.slice(1), k);
  }

  compile(template: string): CompiledTemplate {
    const parts: Array<string | CompiledTemplate> = [];
    let last = 0;
    for (const m of template.matchAll(VARIABLE)) {
      if (m.index > last) parts.push(template.slice(last, m.index));
      parts.push(this.variable(m[1]!.replace(/[{}]/g, '')));
      last = m.index + m[0].length;
    }
    if (last < template.length) parts.push(template.slice(last));
    if (parts.length === 0) return () => '';
    const only = parts[0]!;
    if (parts.length === 1) return typeof only === 'string' ? () => only : only;
    return (req, proxy) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : p(req, proxy);
      return out;
    };
  }

  /** The value of one variable (a name with or without "$") for a request: handlers' ctx.vars.get. */
  value(name: string, req: RequestFacts): string {
    const bare = name.startsWith('$') ? name.slice(1) : name;
    let compiled = this.byName.get(bare);
    if (compiled === undefined) {
      compiled = this.variable(bare);
      this.byName.set(bare, compiled);
    }
    return compiled(req);
  }

  private variable(name: string): CompiledTemplate {
    const keyval = this.keyvals.get(name);
    if (keyval !== undefined) return this.keyvalVariable(name, keyval);
    return builtIn(name);
  }

  private keyvalVariable(name: string, binding: KeyvalVariable): CompiledTemplate {
    const done = this.compiledKeyvals.get(name);
    if (done !== undefined) return done;
    if (this.compiling.has(name)) return () => '';
    this.compiling.add(name);
    const key = this.compile(binding.key);
    this.compiling.delete(name);
    const zone = binding.zone;
    const read = zone.type === 'string' ? (k: string) => zone.get(k) : (k: string) => zone.match(k);
    const compiled: CompiledTemplate = (req, proxy) => {
      const k = key(req, proxy);
      if (k === '') return '';
      try {
        return read(k) ?? '';
      } catch {
        return ''; // a key the zone cannot hold (too long, not an address for type=ip) has no value
      }
    };
    this.compiledKeyvals.set(name, compiled);
    return compiled;
  }
}

function builtIn(name: string): CompiledTemplate {
  switch (name) {
    case 'remote_addr':
    case 'binary_remote_addr':
      return (req) => req.remoteAddress;
    case 'remote_port':
      return (req) => (req.remotePort === undefined ? '' : String(req.remotePort));
    case 'uri':
      return (req) => pathOf(req.url);
    case 'request_uri':
      return (req) => req.url;
    case 'args':
    case 'query_string':
      return (req) => queryOf(req.url);
    case 'request_method':
      return (req) => req.method ?? '';
    case 'scheme':
      return () => 'http';
    case 'host':
      return (req) => hostOf(req);
    case 'proxy_host':
      return (_req, proxy) => proxy?.proxyHost ?? '';
    case 'proxy_add_x_forwarded_for':
      return (req) => {
        const forwarded = header(req.headers, 'x-forwarded-for');
        return forwarded === '' ? req.remoteAddress : `${forwarded}, ${req.remoteAddress}`;
      };
    case 'upstream_addr':
      return (_req, proxy) => proxy?.upstream?.address ?? '';
    case 'upstream_status':
      return (_req, proxy) => (proxy?.upstream === undefined ? '' : String(proxy.upstream.status));
  }
  if (name.startsWith('upstream_http_')) {
    const field = fieldName(name.slice('upstream_http_'.length));
    return (_req, proxy) => (proxy?.upstream === undefined ? '' : header(proxy.upstream.headers, field));
  }
  if (name.startsWith('upstream_cookie_')) {
    const cookieName = name.slice('upstream_cookie_'.length);
    return (_req, proxy) => (proxy?.upstream === undefined ? '' : setCookieValue(proxy.upstream.headers, cookieName));
  }
  if (name.startsWith('http_')) {
    const field = fieldName(name.slice('http_'.length));
    return (req) => header(req.headers, field);
  }
  if (name.startsWith('arg_')) {
    const arg = name.slice('arg_'.length);
    return (req) => argument(req.url, arg);
  }
  if (name.startsWith('cookie_')) {
    return cookieReader(name.slice('cookie_'.length));
  }
  return () => '';
}

/** A thread's variables: nginx's, and those the `keyval` directives define over this thread's zones. */
export function variablesFor(bindings: readonly KeyvalBinding[], zones: ReadonlyMap<string, KeyvalZone>): Variables {
  return new Variables(bindings.flatMap((b) => {
    const zone = zones.get(b.zone);
    return zone === undefined ? [] : [{ variable: b.variable, key: b.key, zone }];
  }));
}

/** $http_x_forwarded_for reads "x-forwarded-for". */
const fieldName = (suffix: string): string => suffix.replace(/_/g, '-').toLowerCase();

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

/** $arg_NAME: the first argument of that name, as it is in the query (not decoded), as nginx. */
function argument(url: string, name: string): string {
  const query = queryOf(url);
  if (query === '') return '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key.toLowerCase() === name.toLowerCase()) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return '';
}

/** $host: the Host field without its port, in lower case. */
function hostOf(req: RequestFacts): string {
  const host = header(req.headers, 'host');
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

function header(headers: RequestFacts['headers'], name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

/** $cookie_NAME's reader, made once per name: the value of the first cookie of that name in the Cookie field. */
export function cookieReader(name: string): (req: Pick<RequestFacts, 'headers'>) => string {
  const wanted = cookieName(name);
  return (req) => {
    const field = req.headers.cookie;
    return field === undefined ? '' : cookieIn(typeof field === 'string' ? field : field.join(', '), wanted);
  };
}

/** $upstream_cookie_NAME: the value of the cookie of that name set by the upstream's Set-Cookie fields. */
function setCookieValue(headers: UpstreamFacts['headers'], name: string): string {
  const v = headers['set-cookie'];
  const wanted = cookieName(name);
  for (const line of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
    const pair = line.split(';', 1)[0]!;
    const found = cookieIn(pair, wanted);
    if (found !== '') return found;
  }
  return '';
}

/** A cookie name as cookieIn looks for it. */
interface CookieName {
  readonly lower: string;
  /**
   * The length below which a pair's name, before trimming, cannot be it: the name's own
   * length when it is ASCII (trimming and lower case never make a name longer but for
   * U+0130, whose lower case is not ASCII), else 0.
   */
  readonly minLength: number;
}

function cookieName(name: string): CookieName {
  const lower = name.toLowerCase();
  return { lower, minLength: /^[\x00-\x7f]*$/.test(lower) ? lower.length : 0 };
}

/**
 * The value of the first "name=value" pair of `text` (pairs split at ';') whose name,
 * trimmed and in lower case, is the one wanted; the value trimmed. One pass, without
 * splitting the text: a pair whose name is too short to be it costs no string.
 */
function cookieIn(text: string, wanted: CookieName): string {
  let eq = -1;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf(';', start);
    if (end < 0) end = text.length;
    // The next '=' at or after start, looked for again only once passed: one pass in all.
    if (eq < start) {
      eq = text.indexOf('=', start);
      if (eq < 0) return '';
    }
    if (eq < end && eq > start && eq - start >= wanted.minLength && text.slice(start, eq).trim().toLowerCase() === wanted.lower) {
      return text.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }
  return '';
}
