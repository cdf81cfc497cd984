// node:cluster and PM2 run a service as several processes on one host, and processes cannot
// share a SharedArrayBuffer. So each process becomes a node of a zonesync cluster of its
// own host: a full mesh over loopback TCP (member i listens on 127.0.0.1:basePort+i) or
// unix sockets (socketDir/member-i.sock), which startClusterMember sets up from the
// process's index among the members. A write in one process reaches the others at the next
// zone_sync_interval, as between hosts.

import cluster from 'node:cluster';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { normalizeConfig, type StreamConfigInput, type ZoneSyncServerInput, type ZonesyncConfigInput } from '../config/normalize.js';
import { count, object, string } from '../config/shape-check.js';
import { startNode, type StartNodeOptions } from './embed.js';
import { createLogger } from './logger.js';
import { takeOver } from './member-takeover.js';
import type { ZonesyncNode } from './node.js';

/** Set by forkClusterMembers: this process's index, and how many members there are. */
export const MEMBER_INDEX_ENV = 'ZONESYNC_CLUSTER_MEMBER';
export const MEMBER_COUNT_ENV = 'ZONESYNC_CLUSTER_MEMBERS';
/** PM2's instance number (0 to instances − 1), kept by a restarted instance. */
export const PM2_INSTANCE_ENV = 'NODE_APP_INSTANCE';
/** Member i listens on 127.0.0.1:(DEFAULT_BASE_PORT + i) unless basePort or socketDir says. */
export const DEFAULT_BASE_PORT = 12345;
/** sockaddr_un's path is 108 bytes with its terminating zero on Linux. */
const MAX_UNIX_PATH_BYTES = 107;
/** How long a member waits for the previous process of its index to free its address, by default. */
export const DEFAULT_TAKEOVER_TIMEOUT_MS = 30_000;

export interface ClusterMemberOptions extends StartNodeOptions {
  /** How many processes share the zones; default: ZONESYNC_CLUSTER_MEMBERS. The same in every member. */
  members?: number;
  /**
   * This process's place, 0 to members − 1; default: ZONESYNC_CLUSTER_MEMBER (forkClusterMembers
   * sets it), else PM2's NODE_APP_INSTANCE, else the node:cluster worker's id − 1.
   */
  index?: number;
  /** Loopback TCP: member i listens on 127.0.0.1:(basePort + i); default 12345. */
  basePort?: number;
  /** Unix sockets instead of TCP: member i listens on socketDir/member-i.sock. */
  socketDir?: string;
  /**
   * While another process holds this member's address (the previous process of the same
   * index, which `pm2 reload` stops only after starting the new one), wait up to this long
   * for it to exit, then fail; default 30 000 ms, 0 fails at once.
   */
  takeoverTimeoutMs?: number;
}

/** The configuration of a member: startClusterMember writes stream.sync's listen and peers. */
export type ClusterMemberConfig = Omit<ZonesyncConfigInput, 'stream'> & {
  readonly stream?: Omit<StreamConfigInput, 'sync'> & { readonly sync?: Omit<ZoneSyncServerInput, 'listen' | 'peers'> };
};

/** Where this process stands among the members. */
export interface MemberPlace {
  readonly index: number;
  readonly members: number;
}

type PlacementOptions = Pick<ClusterMemberOptions, 'members' | 'index' | 'basePort' | 'socketDir' | 'takeoverTimeoutMs'>;
const checkPlacement = object<PlacementOptions>({
  members: count(), index: count(), basePort: count(), socketDir: string, takeoverTimeoutMs: count('milliseconds'),
});

/**
 * Starts this process as member `index` of `members` processes that share the zones of
 * `config` (the schema startNode takes, without stream.sync's listen and peers): each one
 * listens on its own address and dials every member's. While the previous process of the
 * same index still holds the address, it waits for it to exit (takeoverTimeoutMs).
 */
export async function startClusterMember(config: ClusterMemberConfig, options: ClusterMemberOptions = {}): Promise<ZonesyncNode> {
  const { members, index, basePort, socketDir, takeoverTimeoutMs, ...nodeOptions } = options;
  checkPlacement({ members, index, basePort, socketDir, takeoverTimeoutMs }, 'options');
  const place = memberPlace({ members, index }, process.env, cluster.isWorker ? cluster.worker?.id ?? null : null);
  const addresses = memberAddresses(place.members, { basePort, socketDir });
  const own = addresses[place.index]!;
  const sync = config.stream?.sync as ZoneSyncServerInput | undefined;
  if (sync?.listen !== undefined || sync?.peers !== undefined) {
    throw new ConfigError('"stream.sync.listen" and "stream.sync.peers" are set by startClusterMember, from the member\'s index');
  }
  const full: ZonesyncConfigInput = { ...config, stream: { ...config.stream, sync: { ...sync, listen: [own], peers: addresses } } };
  // A mistake in the configuration is told at once, not after a wait for the address.
  const errorLog = normalizeConfig(full).errorLog;
  const node = await takeOver({
    address: own, place, timeoutMs: takeoverTimeoutMs ?? DEFAULT_TAKEOVER_TIMEOUT_MS,
    logger: nodeOptions.logger ?? null, defaultLogger: () => createLogger(errorLog),
    start: (logger) => startNode(full, { ...nodeOptions, logger: logger ?? undefined }),
  });
  // A node:cluster worker is told to stop by a disconnect (worker.disconnect(), or its primary gone).
  if (cluster.isWorker) cluster.worker?.once('disconnect', () => void node.stop());
  return node;
}

/**
 * This process's index and the member count, from the options, else the environment:
 * ZONESYNC_CLUSTER_MEMBER(S) (forkClusterMembers), PM2's NODE_APP_INSTANCE, or the id of a
 * node:cluster worker (`workerId`, null in a process that is not one).
 */
export function memberPlace(given: { members?: number | undefined; index?: number | undefined }, env: NodeJS.ProcessEnv, workerId: number | null): MemberPlace {
  const members = given.members ?? envCount(env, MEMBER_COUNT_ENV);
  if (members === undefined) {
    throw new ConfigError(`the number of cluster members is not known: give "members", or set ${MEMBER_COUNT_ENV} (forkClusterMembers does; with PM2, set it in the app's env to its "instances")`);
  }
  if (members < 1) throw new ConfigError(`a cluster has at least one member, not ${members}`);
  const index = given.index ?? envCount(env, MEMBER_INDEX_ENV) ?? envCount(env, PM2_INSTANCE_ENV) ?? workerIndex(workerId, members);
  if (index === undefined) {
    throw new ConfigError(`this process's place among the ${members} cluster members is not known: give "index", or set ${MEMBER_INDEX_ENV}; PM2 sets ${PM2_INSTANCE_ENV}, and a node:cluster worker has its id`);
  }
  if (index >= members) throw new ConfigError(`cluster member index ${index} is out of range: there are ${members} members (0 to ${members - 1})`);
  return { index, members };
}

/** A node:cluster worker's id is 1, 2, … as forked, and a replacement gets a new one: only a first generation id places a worker. */
function workerIndex(workerId: number | null, members: number): number | undefined {
  if (workerId === null) return undefined;
  if (workerId > members) {
    throw new ConfigError(`node:cluster worker ${workerId} has no place among ${members} members: a worker forked again gets a new id; fork the members with forkClusterMembers(), which gives a replacement the index of the worker it replaces`);
  }
  return workerId - 1;
}

function envCount(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new ConfigError(`invalid value "${text}" of the environment variable ${name}, it must be a whole number`);
  return Number(text);
}

/** Every member's sync address, by index: 127.0.0.1:(basePort + i), or unix:socketDir/member-i.sock. */
export function memberAddresses(members: number, where: { basePort?: number | undefined; socketDir?: string | undefined }): string[] {
  if (where.socketDir !== undefined) {
    if (where.basePort !== undefined) throw new ConfigError('give "basePort" or "socketDir", not both');
    const paths = Array.from({ length: members }, (_, i) => join(where.socketDir!, `member-${i}.sock`));
    const longest = paths[paths.length - 1]!;
    if (Buffer.byteLength(longest) > MAX_UNIX_PATH_BYTES) {
      throw new ConfigError(`the unix socket path "${longest}" is longer than ${MAX_UNIX_PATH_BYTES} bytes: choose a shorter "socketDir"`);
    }
    return paths.map((path) => `unix:${path}`);
  }
  const base = where.basePort ?? DEFAULT_BASE_PORT;
  if (base < 1 || base + members - 1 > 65_535) {
    throw new ConfigError(`members use the ports ${base} to ${base + members - 1}: "basePort" must leave room for every member below 65536`);
  }
  return Array.from({ length: members }, (_, i) => `127.0.0.1:${base + i}`);
}
