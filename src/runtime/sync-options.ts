import { formatSocketAddress } from '../config/address.js';
import type { ZoneSyncServerConfig } from '../config/types.js';
import type { SyncOptionsInput } from '../sync/options.js';

/** The sync thread's options from the `stream { server { zone_sync; … } }` block. */
export function syncOptionsOf(config: ZoneSyncServerConfig): SyncOptionsInput {
  const listen = config.listen[0];
  return {
    listen: listen === undefined ? null : formatSocketAddress(listen.address).replace(/^\*:/, '0.0.0.0:'),
    servers: config.peers.map((p) => formatSocketAddress(p.address)),
    buffers: { count: config.buffers.count, sizeBytes: config.buffers.sizeBytes },
    connectRetryIntervalMs: config.connectRetryIntervalMs,
    connectTimeoutMs: config.connectTimeoutMs,
    intervalMs: config.intervalMs,
    recvBufferSizeBytes: config.recvBufferSizeBytes,
    timeoutMs: config.timeoutMs,
  };
}
