// The sync thread's public surface.
export * from './counters.js';
export { SyncEngine, MAX_INBOUND_CONNECTIONS, type SyncEngineConfig } from './engine.js';
export { noopLogger, type LogFields, type SyncLogger } from './logger.js';
export { DEFAULT_BUFFERS, PAGE_SIZE_BYTES, defaultSyncOptions, resolveSyncOptions, type SyncBuffers, type SyncOptions, type SyncOptionsInput } from './options.js';
export { startSyncThread, type StartSyncThreadOptions, type SyncThreadHandle } from './start-sync-thread.js';
export { TcpTransport } from './tcp-transport.js';
export { realTimers, type SyncTimers, type TimerHandle } from './timers.js';
export { formatAddress, parseAddress, type Connection, type ConnectionEvents, type Listener, type ParsedAddress, type Transport } from './transport.js';
export type * from './types.js';
