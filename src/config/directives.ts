// Which directives zonesync knows, where each may appear, how many arguments it takes and
// whether it opens a block: the checks ngx_conf_handler makes before a directive's own
// handler runs. The handlers (schema-*.ts) may then assume these hold.

import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { NGINX_DIRECTIVE_NAMES } from './nginx-directives.js';

/** The blocks a directive can be written in, named after nginx's configuration contexts. */
export type BlockContext =
  | 'main' | 'events' | 'http' | 'http-server' | 'location' | 'limit-except' | 'upstream'
  | 'stream' | 'stream-server';

interface DirectiveSpec {
  readonly contexts: readonly BlockContext[];
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly block: boolean;
  /**
   * A directive of stock nginx configurations that changes nothing zonesync does, with these
   * arguments: accepted with a warning. Other arguments are refused as not supported.
   */
  readonly ignoredWhen?: (args: readonly string[]) => boolean;
}

const MANY = Number.POSITIVE_INFINITY;
const spec = (contexts: readonly BlockContext[], minArgs: number, maxArgs = minArgs, block = false): DirectiveSpec => (
  { contexts, minArgs, maxArgs, block }
);
const blockSpec = (contexts: readonly BlockContext[], minArgs: number, maxArgs = minArgs): DirectiveSpec => (
  spec(contexts, minArgs, maxArgs, true)
);

/* Ignored with any arguments, or with these only (gzip off: gzip on would change the answers). */
const ANY_ARGS = (): boolean => true;
const ignored = (
  contexts: readonly BlockContext[], minArgs: number, maxArgs = minArgs, when: (args: readonly string[]) => boolean = ANY_ARGS, block = false,
): DirectiveSpec => (
  { ...spec(contexts, minArgs, maxArgs, block), ignoredWhen: when }
);
const OFF_ONLY = (args: readonly string[]): boolean => args[0] === 'off';

const HTTP_LEVELS: readonly BlockContext[] = ['http', 'http-server', 'location'];
const ACCESS_LEVELS: readonly BlockContext[] = ['http', 'http-server', 'location', 'limit-except', 'stream', 'stream-server'];
const STREAM_LEVELS: readonly BlockContext[] = ['stream', 'stream-server'];

/* One name may have several specs ("server" is a block in http and stream, a line in upstream). */
const DIRECTIVES: Readonly<Record<string, readonly DirectiveSpec[]>> = {
  worker_processes: [spec(['main'], 1)],
  worker_shutdown_timeout: [spec(['main'], 1)],
  // The node's log (main) and the sync thread's (stream); in http nginx would log a level's own errors apart.
  error_log: [spec(['main', 'stream', 'stream-server'], 1, 2), ignored(HTTP_LEVELS, 1, 2)],
  pid: [spec(['main'], 1)],
  events: [blockSpec(['main'], 0)],
  worker_connections: [spec(['events'], 1)],
  // Directives of stock nginx.conf files that change nothing zonesync does: the node runs as
  // the user that starts it, serves no files (so no MIME types), has its own event loop.
  user: [ignored(['main'], 1, 2)],
  multi_accept: [ignored(['events'], 1)],
  use: [ignored(['events'], 1)],
  accept_mutex: [ignored(['events'], 1)],
  sendfile: [ignored(HTTP_LEVELS, 1)],
  tcp_nopush: [ignored(HTTP_LEVELS, 1)],
  tcp_nodelay: [ignored(HTTP_LEVELS, 1)],
  types_hash_max_size: [ignored(HTTP_LEVELS, 1)],
  types_hash_bucket_size: [ignored(HTTP_LEVELS, 1)],
  server_names_hash_max_size: [ignored(['http'], 1)],
  server_names_hash_bucket_size: [ignored(['http'], 1)],
  types: [ignored(HTTP_LEVELS, 0, 0, ANY_ARGS, true)],
  default_type: [ignored(HTTP_LEVELS, 1)],
  gzip: [ignored(HTTP_LEVELS, 1, 1, OFF_ONLY)],
  server_tokens: [spec(HTTP_LEVELS, 1)],
  add_header: [spec(HTTP_LEVELS, 2, 3)],
  http: [blockSpec(['main'], 0)],
  stream: [blockSpec(['main'], 0)],
  zonesync_state_fsync: [spec(['main'], 1)],

  keyval_zone: [spec(['http', 'stream'], 1, 5)],
  keyval: [spec(['http', 'stream'], 3)],
  limit_req_zone: [spec(['http'], 2, 4)],
  zonesync_counter_zone: [spec(['http'], 1, 3)],
  limit_req: [spec(HTTP_LEVELS, 1, 3)],
  limit_req_status: [spec(HTTP_LEVELS, 1)],
  limit_req_dry_run: [spec(HTTP_LEVELS, 1)],
  limit_req_log_level: [spec(HTTP_LEVELS, 1)],
  upstream: [blockSpec(['http'], 1)],
  server: [blockSpec(['http', 'stream'], 0), spec(['upstream'], 1, MANY)],
  zone: [spec(['upstream'], 1, 2)],
  sticky: [spec(['upstream'], 1, MANY)],
  keepalive: [spec(['upstream'], 1)],
  // In upstream: the upstream keepalive cache's; in http, server and location: client connections'.
  keepalive_timeout: [spec(['upstream'], 1), spec(HTTP_LEVELS, 1, 2)],
  keepalive_requests: [spec(['upstream'], 1), spec(HTTP_LEVELS, 1)],
  lingering_close: [spec(HTTP_LEVELS, 1)],
  lingering_time: [spec(HTTP_LEVELS, 1)],
  lingering_timeout: [spec(HTTP_LEVELS, 1)],

  proxy_pass: [spec(['location'], 1)],
  proxy_set_header: [spec(HTTP_LEVELS, 2)],
  proxy_hide_header: [spec(HTTP_LEVELS, 1)],
  proxy_pass_header: [spec(HTTP_LEVELS, 1)],
  proxy_connect_timeout: [spec(HTTP_LEVELS, 1)],
  proxy_read_timeout: [spec(HTTP_LEVELS, 1)],
  proxy_send_timeout: [spec(HTTP_LEVELS, 1)],
  proxy_buffering: [spec(HTTP_LEVELS, 1)],
  proxy_request_buffering: [spec(HTTP_LEVELS, 1)],
  proxy_next_upstream: [spec(HTTP_LEVELS, 1, MANY)],
  proxy_next_upstream_tries: [spec(HTTP_LEVELS, 1)],
  proxy_next_upstream_timeout: [spec(HTTP_LEVELS, 1)],
  proxy_http_version: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_verify: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_verify_depth: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_trusted_certificate: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_server_name: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_name: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_certificate: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_certificate_key: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_password_file: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_protocols: [spec(HTTP_LEVELS, 1, MANY)],
  proxy_ssl_ciphers: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_crl: [spec(HTTP_LEVELS, 1)],
  proxy_ssl_conf_command: [spec(HTTP_LEVELS, 2)],
  proxy_ssl_session_reuse: [spec(HTTP_LEVELS, 1)],
  client_max_body_size: [spec(HTTP_LEVELS, 1)],
  return: [spec(['http-server', 'location'], 1, 2)],

  listen: [spec(['http-server', 'stream-server'], 1, MANY)],
  server_name: [spec(['http-server'], 1, MANY)],
  location: [blockSpec(['http-server', 'location'], 1, 2)],
  limit_except: [blockSpec(['location'], 1, MANY)],
  api: [spec(['location'], 0, 1)],
  zonesync_health: [spec(['location'], 1)],
  zonesync_metrics: [spec(['location'], 0)],
  zonesync_dashboard: [spec(['location'], 0, 1)],
  zonesync_handler: [spec(HTTP_LEVELS, 1)],
  allow: [spec(ACCESS_LEVELS, 1)],
  deny: [spec(ACCESS_LEVELS, 1)],
  auth_basic: [spec(['http', 'http-server', 'location', 'limit-except'], 1)],
  auth_basic_user_file: [spec(['http', 'http-server', 'location', 'limit-except'], 1)],
  resolver: [spec(['http', ...STREAM_LEVELS], 1, MANY)],
  access_log: [spec([...ACCESS_LEVELS], 1, 6)],
  log_format: [spec(['stream', 'http'], 2, MANY)],
  resolver_timeout: [spec(['http', ...STREAM_LEVELS], 1)],

  zone_sync: [spec(['stream-server'], 0)],
  zone_sync_server: [spec(['stream-server'], 1, 2)],
  zone_sync_buffers: [spec(STREAM_LEVELS, 2)],
  zone_sync_connect_retry_interval: [spec(STREAM_LEVELS, 1)],
  zone_sync_connect_timeout: [spec(STREAM_LEVELS, 1)],
  zone_sync_interval: [spec(STREAM_LEVELS, 1)],
  zone_sync_recv_buffer_size: [spec(STREAM_LEVELS, 1)],
  zone_sync_timeout: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_certificate: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_certificate_key: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_ciphers: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_conf_command: [spec(STREAM_LEVELS, 2)],
  zone_sync_ssl_crl: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_name: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_password_file: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_protocols: [spec(STREAM_LEVELS, 1, MANY)],
  zone_sync_ssl_server_name: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_trusted_certificate: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_verify: [spec(STREAM_LEVELS, 1)],
  zone_sync_ssl_verify_depth: [spec(STREAM_LEVELS, 1)],

  ssl_certificate: [spec(STREAM_LEVELS, 1)],
  ssl_certificate_key: [spec(STREAM_LEVELS, 1)],
  ssl_password_file: [spec(STREAM_LEVELS, 1)],
  ssl_ciphers: [spec(STREAM_LEVELS, 1)],
  ssl_conf_command: [spec(STREAM_LEVELS, 2)],
  // In http they would be for https listeners, which zonesync has not ("listen … ssl" is refused).
  ssl_protocols: [spec(STREAM_LEVELS, 1, MANY), ignored(['http', 'http-server'], 1, MANY)],
  ssl_prefer_server_ciphers: [ignored(['http', 'http-server'], 1)],
  ssl_verify_client: [spec(STREAM_LEVELS, 1)],
  ssl_verify_depth: [spec(STREAM_LEVELS, 1)],
  ssl_trusted_certificate: [spec(STREAM_LEVELS, 1)],
  ssl_client_certificate: [spec(STREAM_LEVELS, 1)],
  ssl_crl: [spec(STREAM_LEVELS, 1)],
  ssl_handshake_timeout: [spec(STREAM_LEVELS, 1)],
};

/* The block a block directive opens, in the context it is written in; null: none zonesync reads. */
function contextInside(context: BlockContext, name: string): BlockContext | null {
  switch (name) {
    case 'events': case 'http': case 'stream': return context === 'main' ? name : null;
    case 'server': return context === 'http' ? 'http-server' : context === 'stream' ? 'stream-server' : null;
    case 'location': return context === 'http-server' || context === 'location' ? 'location' : null;
    case 'limit_except': return context === 'location' ? 'limit-except' : null;
    case 'upstream': return context === 'http' ? 'upstream' : null;
    default: return null;
  }
}

/**
 * checkDirective at parse time (a parser's checkHead), as ngx_conf_handler runs it when a
 * directive's head is read, so that errors come in the order of the file: a block directive
 * without its "{" is told on its own line, not as an unexpected "}" lines below. Inside a
 * block zonesync does not read (an ignored one), nothing is checked.
 */
export function checkDirectiveHead(directive: Directive, enclosing: readonly string[]): void {
  let context: BlockContext | null = 'main';
  for (const name of enclosing) {
    context = contextInside(context, name);
    if (context === null) return;
  }
  checkDirective(directive, context);
}

/** What checkDirective found of a directive that passed: one to read, or one to ignore with a warning. */
export type DirectiveUse = 'read' | 'ignored';

/**
 * ngx_conf_handler's checks, in its order: the name is known, it is allowed in this block,
 * it has (or lacks) a block as it should, and its argument count fits. An ignored directive
 * whose arguments would change what zonesync does (gzip on) is refused as not supported.
 */
export function checkDirective(directive: Directive, context: BlockContext): DirectiveUse {
  const { name } = directive;
  const specs = DIRECTIVES[name];
  if (specs === undefined) {
    if (name === 'map') {
      // nginx's WebSocket example maps $http_upgrade to $connection_upgrade; its usual case needs no map.
      throw new ConfigError('"map" directive is not supported by zonesync; to proxy WebSocket, write proxy_set_header Connection "upgrade" rather than a mapped $connection_upgrade', directive);
    }
    // A directive of nginx's that zonesync lacks: a configuration that relies on it would not do what it says.
    if (NGINX_DIRECTIVE_NAMES.has(name)) {
      throw new ConfigError(`"${name}" directive is not supported by zonesync`, directive);
    }
    throw new ConfigError(`unknown directive "${name}"`, directive);
  }
  const found = specs.find((candidate) => candidate.contexts.includes(context));
  if (found === undefined) {
    throw new ConfigError(notAllowedReason(name, context), directive);
  }
  if (found.block && directive.block === undefined) {
    throw new ConfigError(`directive "${name}" has no opening "{"`, directive);
  }
  if (!found.block && directive.block !== undefined) {
    throw new ConfigError(`directive "${name}" is not terminated by ";"`, directive);
  }
  const count = directive.args.length;
  if (count < found.minArgs || count > found.maxArgs) {
    throw new ConfigError(`invalid number of arguments in "${name}" directive`, directive);
  }
  if (found.ignoredWhen === undefined) return 'read';
  if (!found.ignoredWhen(directive.args)) throw new ConfigError(`"${name}" directive is not supported by zonesync`, directive);
  return 'ignored';
}

/* nginx has these in more places than zonesync implements them; say which part is missing. */
function notAllowedReason(name: string, context: BlockContext): string {
  const inHttp = context === 'http' || context === 'http-server' || context === 'location';
  if (inHttp && name.startsWith('resolver')) return `"${name}" directive is supported by zonesync in the http block only, not in a server or location`;
  const streamOnly = name.startsWith('ssl_') || name.startsWith('resolver');
  if (inHttp && streamOnly) {
    return `"${name}" directive is not supported by zonesync in http`;
  }
  if (context === 'stream' && name === 'upstream') {
    return '"upstream" directive is not supported by zonesync in stream';
  }
  return `"${name}" directive is not allowed here`;
}
