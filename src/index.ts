/**
 * zonesync: shared-memory zones for Node.js worker threads (keyval, limit_req, sticky),
 * synchronised across a cluster, after NGINX Plus zone_sync.
 */
export * from './zones/index.js';
export { HybridClock, compareStamps } from './clock.js';
export { SharedHybridClock } from './shared-clock.js';
export { loadConfig, normalizeConfig, parseConfigText, ConfigError } from './config/index.js';
export type { ZonesyncConfig } from './config/index.js';
export { startNode, type StartNodeOptions } from './runtime/embed.js';
export { startJournalThread, type JournalThreadHandle, type StartJournalThreadOptions } from './journal/start-journal-thread.js';
export type { JournaledZone } from './journal/types.js';
export type { ZoneJournalStats } from './journal/zone-journal.js';
export { ZonesyncNode } from './runtime/node.js';
export {
  startClusterMember, memberPlace, memberAddresses, DEFAULT_BASE_PORT, MEMBER_INDEX_ENV, MEMBER_COUNT_ENV, PM2_INSTANCE_ENV,
  type ClusterMemberConfig, type ClusterMemberOptions, type MemberPlace,
} from './runtime/cluster-member.js';
export { forkClusterMembers, type ClusterMembers, type ForkClusterMembersOptions } from './runtime/cluster-fork.js';
export type { Logger } from './runtime/logger.js';
export type { Metrics } from './api/metrics.js';
export type { ZonesyncConfigInput } from './config/normalize.js';
export type { Handler, HandlerContext, HandlerRequest, HandlerResponse } from './runtime/handler-types.js';
