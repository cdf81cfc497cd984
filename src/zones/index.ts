export { KeyvalZone, type KeyvalEntry, type KeyvalHandle, type KeyvalSettings, type KeyvalZoneOptions } from './keyval/keyval-zone.js';
export type { KeyvalType } from './keyval/match-index.js';
export {
  LimitReqZone, type LimitOptions, type LimitReqHandle, type LimitReqSettings, type LimitReqZoneOptions, type RateInput, type TakeOptions, type TakeResult,
} from './limit-req/limit-req-zone.js';
export {
  CounterZone, type AddOptions, type BlockOptions, type CountOptions, type CounterHandle, type CounterSettings, type CounterState, type CounterZoneOptions,
} from './counter/counter-zone.js';
export { StickyZone, type StickyHandle, type StickySettings, type StickyZoneOptions } from './sticky/sticky-zone.js';
export { ZoneArgumentError, ZoneFullError } from './errors.js';
export { StateFileInUseError } from './keyval/state-lock.js';
export { createNodeContext, defaultNodeContext, type NodeContext } from './node.js';
export type { AttachZoneOptions, VersionedRecord, ZoneBaseOptions, ZoneHandleOf } from './zone-base.js';
export { MODULE_COUNTER, MODULE_KEYVAL, MODULE_LIMIT_REQ, MODULE_STICKY, MODULE_STREAM_KEYVAL, type ZoneDescriptor } from './descriptor.js';
export { MERGE_FUTURE, MERGE_INVALID, MERGE_SKIPPED, RecordMerger, type MergeStatus, type WireRecord } from './merge.js';
