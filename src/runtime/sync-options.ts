import { formatSocketAddress } from '../config/address.js';
import type { ZoneSyncServerConfig } from '../config/types.js';
import { resolverOptionsOf, type ServerSpec, type SyncOptionsInput } from '../sync/options.js';
import { clientTls, listenTls, outgoingTls, serverTls } from '../sync/tls-options.js';

/**
 * The sync thread's options from the `stream { server { zone_sync; … } }` block. Servers
 * keep their host names: the sync thread resolves them (once, or through the resolver with
 * `resolve`), and a name is the default zone_sync_ssl_name of its addresses.
 */
export function syncOptionsOf(config: ZoneSyncServerConfig): SyncOptionsInput {
  const listen = config.listen[0];
  const { enabled: sslEnabled, ...ssl } = config.ssl;
  return {
    listen: listen === undefined ? null : formatSocketAddress(listen.address).replace(/^\*:/, '0.0.0.0:'),
    servers: config.peers.map((p): ServerSpec => (p.resolve ? { address: formatSocketAddress(p.address), resolve: true } : formatSocketAddress(p.address))),
    tls: sslEnabled ? { ...ssl, protocols: [...ssl.protocols], confCommands: ssl.confCommands.map((c) => ({ ...c })) } : null,
    listenTls: listen?.ssl === true ? {
      ...config.listenerSsl,
      certificates: [...config.listenerSsl.certificates],
      certificateKeys: [...config.listenerSsl.certificateKeys],
      protocols: [...config.listenerSsl.protocols],
      confCommands: config.listenerSsl.confCommands.map((c) => ({ ...c })),
    } : null,
    access: config.access.map((rule) => ({ action: rule.action, match: rule.match, address: rule.address, prefixLength: rule.prefixLength })),
    // No resolver directive: names with `resolve` go to the system's name servers (servers: []).
    resolver: resolverOptionsOf(config.resolver, config.resolverTimeoutMs),
    buffers: { count: config.buffers.count, sizeBytes: config.buffers.sizeBytes },
    connectRetryIntervalMs: config.connectRetryIntervalMs,
    connectTimeoutMs: config.connectTimeoutMs,
    intervalMs: config.intervalMs,
    recvBufferSizeBytes: config.recvBufferSizeBytes,
    timeoutMs: config.timeoutMs,
  };
}

/**
 * What `-t` checks beyond the syntax, as nginx -t loads certificates: reads every TLS file
 * and builds the TLS contexts, throwing an error that names the directive and the file.
 */
export function checkSyncTls(options: SyncOptionsInput): void {
  if (options.tls) clientTls(outgoingTls(options.tls));
  if (options.listenTls) serverTls(listenTls(options.listenTls));
}
