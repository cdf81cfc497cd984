// Record payloads (docs/PROTOCOL.md "Payloads"; limit_req's is version 3): the one rule the frame
// reader checks on them. The payloads themselves are the zones' record values, written in
// wire layout by the zone modules (zones/limit-req/share-codec.ts for limit_req,
// zones/counter/count-codec.ts for the counter; keyval values and sticky server names are
// UTF-8 text), and copied untouched by the sync thread.

import { RECORD_FLAG_TOMBSTONE } from './constants.js';
import { MODULE_COUNTER, MODULE_LIMIT_REQ } from '../../zones/descriptor.js';
import { SHARE_BYTES } from '../../zones/limit-req/share-codec.js';
import { COUNT_BYTES } from '../../zones/counter/count-codec.js';

/**
 * The payload size check the frame reader applies to every record of a
 * frame before yielding it: a limit_req share is exactly SHARE_BYTES (a
 * tombstone may carry none), a counter's count exactly COUNT_BYTES; keyval
 * and sticky payloads are any length.
 */
export function payloadLengthValid(moduleTag: number, flags: number, payloadLength: number): boolean {
  if (moduleTag === MODULE_COUNTER) return payloadLength === COUNT_BYTES;
  if (moduleTag !== MODULE_LIMIT_REQ) return true;
  if ((flags & RECORD_FLAG_TOMBSTONE) !== 0 && payloadLength === 0) return true;
  return payloadLength === SHARE_BYTES;
}

/** False for modules whose payloads are any length: payloadLengthValid accepts all of theirs. */
export function hasPayloadLengthRule(moduleTag: number): boolean {
  return moduleTag === MODULE_LIMIT_REQ || moduleTag === MODULE_COUNTER;
}
