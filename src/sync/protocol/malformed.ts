// Why a peer's bytes were rejected. Any of these closes the connection
// (docs/PROTOCOL.md "What closes a connection"); the sync thread logs the reason with the
// peer's address.

export type MalformedReason =
  | 'frame-length-under-header' // length < 12
  | 'frame-length-over-receive-buffer' // length > zone_sync_recv_buffer_size
  | 'unsupported-protocol-version' // version != 1
  | 'zone-name-overruns-frame' // 12 + name_len > length
  | 'data-frame-without-zone' // name_len 0 on a data frame
  | 'record-length-truncated' // fewer than 4 bytes left for rec_len
  | 'record-length-under-fixed-part' // rec_len < 24
  | 'record-overruns-frame' // 4 + rec_len past the end of the frame
  | 'key-overruns-record' // key_len > rec_len - 24
  | 'record-flags-unknown' // a flag bit version 1 does not define
  | 'record-reserved-nonzero'
  | 'expire-at-out-of-range' // expire_at > 2^53 - 1
  | 'payload-length' // a payload of the wrong size for its module
  | 'control-type-missing' // control frame with an empty body
  | 'control-body-truncated'
  | 'control-body-trailing-bytes'
  | 'control-zone-name-unexpected' // HELLO, PING, PONG name no zone
  | 'control-zone-name-missing' // SNAPSHOT_BEGIN, SNAPSHOT_END name one
  | 'invalid-utf8'; // a node or zone name in a control message

export interface Malformed {
  readonly reason: MalformedReason;
  /** Human-readable specifics for the log line, e.g. "length 11". */
  readonly detail: string;
}

export function malformed(reason: MalformedReason, detail: string): Malformed {
  return { reason, detail };
}
