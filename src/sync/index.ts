// The sync thread's public surface.
export * from './counters.js';
export { SyncEngine, type SyncEngineConfig } from './engine.js';
export { MAX_INBOUND_CONNECTIONS } from './inbound-listener.js';
export { noopLogger, type LogFields, type SyncLogger } from './logger.js';
export { Discovery, nodeDnsClient, resolverFor, type DialTarget, type DiscoveryConfig, type DnsAnswer, type DnsClient } from './discovery.js';
export {
  DEFAULT_BUFFERS, PAGE_SIZE_BYTES, defaultSyncOptions, resolveSyncOptions, type ListenTlsOptions, type OutgoingTlsOptions,
  type ResolverOptions, type ServerSpec, type SyncBuffers, type SyncOptions, type SyncOptionsInput,
} from './options.js';
export { startSyncThread, type StartSyncThreadOptions, type SyncThreadHandle } from './start-sync-thread.js';
export { TcpTransport } from './tcp-transport.js';
export { listenTls, outgoingTls, peerChainDepth, verifyReason } from './tls-options.js';
export { TlsTransport, transportFor } from './tls-transport.js';
export { realTimers, type SyncTimers, type TimerHandle } from './timers.js';
export {
  ConnectionRefusedError, formatAddress, parseAddress, type Connection, type ConnectionEvents, type ListenHooks, type Listener,
  type ParsedAddress, type Transport,
} from './transport.js';
export type * from './types.js';
