// TLS to upstream servers (proxy_pass https://), as nginx's proxy module does it with
// proxy_ssl_*: the context is made once from the files (ssl settings checked when the node
// starts, an error naming the directive's file and line); each connection is verified, when
// proxy_ssl_verify is on, against proxy_ssl_name (default: the proxy_pass host without its
// port) once its handshake is over, OpenSSL never aborting it (rejectUnauthorized false),
// so that every refusal has nginx's reason. SNI is sent only with proxy_ssl_server_name on,
// never for an IP address (RFC 6066). The last session of a server is resumed
// (proxy_ssl_session_reuse on).

import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { ConfigError } from '../config/errors.js';
import type { HttpConfig, HttpLocationConfig, ProxySslConfig, SourceLocation } from '../config/types.js';
import { clientTls, peerChainDepth, type ClientTls } from '../sync/tls-options.js';

/** What a thread's connections to the servers of one location need: the context, made once, and the checks. */
export interface UpstreamTls {
  readonly client: ClientTls;
  readonly sessionReuse: boolean;
}

/** A certificate the upstream server presented failed proxy_ssl_verify; the message is nginx's log line. */
export class UpstreamCertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamCertificateError';
  }
}

const PREFIX = 'proxy_ssl';

/**
 * The TLS of a location's proxy_ssl_* settings: reads the files and makes the context.
 * Throws a ConfigError naming the directive at fault and where it was written (`fallback`:
 * the location, for a setting that has no directive of its own, such as a key missing).
 */
export function upstreamTlsOf(ssl: ProxySslConfig, fallback?: SourceLocation): UpstreamTls {
  try {
    const { sessionReuse, sources: _sources, ...outgoing } = ssl;
    return { client: clientTls({ ...outgoing, protocols: [...outgoing.protocols], confCommands: [...outgoing.confCommands] }, PREFIX), sessionReuse };
  } catch (error) {
    const message = (error as Error).message;
    // The first directive the message names that was written somewhere (a missing key: its certificate's).
    const named = [...message.matchAll(/"(proxy_ssl_[a-z_]+)"/g)].flatMap((m) => [m[1]!, m[1]!.replace(/_key$/, '')]).map((d) => ssl.sources?.[d]);
    const at = named.find((s) => s !== undefined) ?? fallback;
    throw new ConfigError(message, at);
  }
}

/** Whether a location's proxy may speak TLS: proxy_pass https://, or with variables (nginx makes its TLS context for both). */
export function proxiesOverTls(location: HttpLocationConfig): boolean {
  const target = location.proxyPass;
  return target !== null && (target.scheme === 'https' || target.variables === true);
}

/** Reads the proxy_ssl_* files of every location that may proxy over TLS (at start and for -t), as nginx loads them with its configuration. */
export function checkProxyTls(http: HttpConfig | null): void {
  const visit = (locations: readonly HttpLocationConfig[]): void => {
    for (const location of locations) {
      if (proxiesOverTls(location)) upstreamTlsOf(location.settings.proxy.ssl, location.source);
      visit(location.locations);
    }
  };
  for (const server of http?.servers ?? []) visit(server.locations);
}

/** "backend:8443" or "[::1]:443" as the name TLS checks: the host alone (nginx drops the port of $proxy_host). */
export function tlsNameOf(proxyHost: string): string {
  if (proxyHost.startsWith('[')) return proxyHost.slice(1, proxyHost.indexOf(']'));
  const colon = proxyHost.lastIndexOf(':');
  return colon < 0 || proxyHost.indexOf(':') !== colon ? proxyHost : proxyHost.slice(0, colon);
}

/**
 * undici's connector for the connections of one server: TLS with the location's context,
 * verified as above. `proxyHost`: the proxy_pass host, the default name. A verification
 * failure fails the connection with an UpstreamCertificateError (a failed try, counted
 * toward max_fails); a connection not made in `connectTimeoutMs` fails as undici's connect
 * timeout.
 */
export function tlsConnector(tls: UpstreamTls, proxyHost: string, connectTimeoutMs: number): buildConnector.connector {
  const { client } = tls;
  const name = client.name ?? tlsNameOf(proxyHost);
  const servername = client.serverName && isIP(name) === 0 ? name : undefined;
  let session: Buffer | undefined;
  return ({ hostname, port }, callback) => {
    let done = false;
    const socket = connect({
      host: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
      port: Number(port) || 443,
      secureContext: client.context,
      rejectUnauthorized: false,
      servername,
      session: tls.sessionReuse ? session : undefined,
      ALPNProtocols: ['http/1.1'],
      checkServerIdentity: (_host: string, certificate: PeerCertificate) => checkServerIdentity(name, certificate),
    });
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error === null) {
        callback(null, socket);
        return;
      }
      socket.destroy();
      callback(error, null);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('connect timed out'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), connectTimeoutMs);
    socket.setNoDelay(true);
    if (tls.sessionReuse) socket.on('session', (s: Buffer) => { session = s; });
    socket.once('secureConnect', () => finish(client.verify ? verifyProblem(socket, name, client.verifyDepth) : null));
    socket.once('error', (error) => finish(error));
  };
}

/** nginx's log lines for a certificate proxy_ssl_verify refuses: the OpenSSL error, or the name it does not match. */
function verifyProblem(socket: TLSSocket, name: string, maxDepth: number): UpstreamCertificateError | null {
  if (!socket.authorized) {
    const code = String(socket.authorizationError);
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new UpstreamCertificateError(`upstream SSL certificate does not match "${name}"`);
    return new UpstreamCertificateError(`upstream SSL certificate verify error: (${code})`);
  }
  // A resumed session shows no chain (its certificate was verified when it was made).
  const depth = socket.isSessionReused() ? -1 : peerChainDepth(socket.getPeerCertificate(true));
  if (depth > maxDepth) return new UpstreamCertificateError(`upstream SSL certificate verify error: (CERT_CHAIN_TOO_LONG: ${depth} CAs, proxy_ssl_verify_depth is ${maxDepth})`);
  return null;
}
