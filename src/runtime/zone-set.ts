import type { ZoneConfig, ZonesyncConfig } from '../config/types.js';
import { formatRate } from '../config/units.js';
import { KeyvalZone, type KeyvalHandle } from '../zones/keyval/keyval-zone.js';
import { LimitReqZone, type LimitReqHandle } from '../zones/limit-req/limit-req-zone.js';
import { StickyZone, type StickyHandle } from '../zones/sticky/sticky-zone.js';
import { CounterZone, type CounterHandle } from '../zones/counter/counter-zone.js';
import { MODULE_STREAM_KEYVAL, type ZoneDescriptor } from '../zones/descriptor.js';
import type { NodeContext } from '../zones/node.js';
import type { JournaledZone } from '../journal/types.js';
import { DEFAULT_BUFFERS } from '../sync/options.js';
import { FRAME_HEADER_BYTES, RECORD_HEADER_BYTES } from '../sync/protocol/constants.js';

/** Every zone handle of a node: plain data that each worker attaches to. */
export interface ZoneHandles {
  keyval: Record<string, KeyvalHandle>;
  limitReq: Record<string, LimitReqHandle>;
  sticky: Record<string, StickyHandle>;
  counter: Record<string, CounterHandle>;
}

/** A node's zones, attached in one thread. */
export interface ZoneSet {
  keyval: Map<string, KeyvalZone>;
  /** keyval zones declared in http (the API's /http/keyvals/) and in stream. */
  httpKeyvals: Map<string, KeyvalZone>;
  streamKeyvals: Map<string, KeyvalZone>;
  limitReq: Map<string, LimitReqZone>;
  sticky: Map<string, StickyZone>;
  /** zonesync_counter_zone zones. */
  counter: Map<string, CounterZone>;
}

export type AnyZone = KeyvalZone | LimitReqZone | StickyZone | CounterZone;

/** Every zone of the set, each once. */
export function allZonesOf(zones: ZoneSet): AnyZone[] {
  return [...zones.keyval.values(), ...zones.limitReq.values(), ...zones.sticky.values(), ...zones.counter.values()];
}

/** Creates every zone of the configuration, in the primary, before any other thread starts. */
export function createZones(config: ZonesyncConfig, node: NodeContext): { zones: ZoneSet; handles: ZoneHandles } {
  const zones = emptyZoneSet();
  const bufferBytes = config.stream?.sync?.buffers.sizeBytes ?? DEFAULT_BUFFERS.sizeBytes;
  const syncIntervalMs = config.stream?.sync?.intervalMs;
  for (const zc of config.zones) addZone(zones, createZone(zc, node, bufferBytes, syncIntervalMs), zc);
  return { zones, handles: handlesOf(zones) };
}

/**
 * The most key + value bytes a record of zone `name` may have to travel in one sync buffer
 * of `bufferBytes`: what a data frame holding just that record leaves for them.
 */
export function maxSyncedBytes(name: string, bufferBytes: number): number {
  return Math.max(0, bufferBytes - FRAME_HEADER_BYTES - Buffer.byteLength(name) - RECORD_HEADER_BYTES);
}

/** `syncIntervalMs`: the configuration's zone_sync_interval, if it has zone_sync. */
function createZone(zc: ZoneConfig, node: NodeContext, bufferBytes: number, syncIntervalMs: number | undefined): AnyZone {
  const common = { name: zc.name, size: zc.sizeBytes, sync: zc.sync, node, ...(zc.sync ? { maxSyncedBytes: maxSyncedBytes(zc.name, bufferBytes) } : {}) };
  switch (zc.kind) {
    case 'keyval':
      return KeyvalZone.create({
        ...common, type: zc.type, context: zc.module,
        ...(zc.timeoutMs === null ? {} : { timeout: zc.timeoutMs }),
        ...(zc.stateFile === null ? {} : { state: zc.stateFile, journal: true }),
      });
    case 'limit_req':
      return LimitReqZone.create({
        ...common, rate: formatRate(zc.rate), ...(syncIntervalMs === undefined ? {} : { syncInterval: syncIntervalMs }),
      });
    case 'sticky':
      return StickyZone.create({ ...common, timeout: zc.timeoutMs });
    case 'counter':
      return CounterZone.create({ ...common, window: zc.windowMs });
  }
}

function emptyZoneSet(): ZoneSet {
  return { keyval: new Map(), httpKeyvals: new Map(), streamKeyvals: new Map(), limitReq: new Map(), sticky: new Map(), counter: new Map() };
}

function addZone(zones: ZoneSet, zone: AnyZone, zc: ZoneConfig): void {
  if (zone instanceof KeyvalZone) {
    zones.keyval.set(zone.name, zone);
    (zc.kind === 'keyval' && zc.module === 'stream' ? zones.streamKeyvals : zones.httpKeyvals).set(zone.name, zone);
  } else if (zone instanceof LimitReqZone) zones.limitReq.set(zone.name, zone);
  else if (zone instanceof CounterZone) zones.counter.set(zone.name, zone);
  else zones.sticky.set(zone.name, zone);
}

function handlesOf(zones: ZoneSet): ZoneHandles {
  const pick = <H>(m: Map<string, { handle: H }>) => Object.fromEntries([...m].map(([n, z]) => [n, z.handle]));
  return { keyval: pick(zones.keyval), limitReq: pick(zones.limitReq), sticky: pick(zones.sticky), counter: pick(zones.counter) };
}

/** The zones again, in another thread, from their handles. */
export function attachZones(handles: ZoneHandles): ZoneSet {
  const zones = emptyZoneSet();
  for (const [name, h] of Object.entries(handles.keyval)) {
    const z = KeyvalZone.attach(h);
    zones.keyval.set(name, z);
    (h.descriptor.moduleTag === MODULE_STREAM_KEYVAL ? zones.streamKeyvals : zones.httpKeyvals).set(name, z);
  }
  for (const [name, h] of Object.entries(handles.limitReq)) zones.limitReq.set(name, LimitReqZone.attach(h));
  for (const [name, h] of Object.entries(handles.sticky)) zones.sticky.set(name, StickyZone.attach(h));
  for (const [name, h] of Object.entries(handles.counter)) zones.counter.set(name, CounterZone.attach(h));
  return zones;
}

/** The descriptors of the zones that sync, for the sync thread. */
export function syncedDescriptors(zones: ZoneSet): ZoneDescriptor[] {
  return allZonesOf(zones).filter((z) => z.sync).map((z) => z.handle.descriptor);
}

/**
 * Every zone's lock-owner cleanup, for a thread that died: returns the locks opened (shards,
 * change rings). Owner ids start at 1; 0 is the word of a free lock, and "opening" it would
 * take and reset every free shard, so anything below 1 is refused.
 */
export function forceUnlockOwner(zones: ZoneSet, ownerId: number): number {
  if (!Number.isSafeInteger(ownerId) || ownerId < 1) throw new RangeError(`no lock owner has the id ${ownerId}`);
  let opened = 0;
  for (const z of allZonesOf(zones)) {
    opened += z.shm.forceUnlock(ownerId);
    if (z.changes?.forceUnlock(ownerId)) opened++;
  }
  return opened;
}

/** The keyval zones whose changes are journaled (`state=`), as the journal thread takes them. */
export function journaledZones(zones: ZoneSet): JournaledZone[] {
  return [...zones.keyval.values()].filter((z) => z.changes !== null).map((z) => ({ handle: z.handle, newestGeneration: z.stateGeneration }));
}
