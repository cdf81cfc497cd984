/** A write that found no room: after removing expired records, and in zones that may (limit_req, sticky), after evicting the least recently used. */
export class ZoneFullError extends Error {
  override name = 'ZoneFullError';
  readonly zone: string;
  constructor(zone: string, keyBytes: number, valueBytes: number) {
    super(`zone "${zone}" is full: no room for a record of ${keyBytes} key and ${valueBytes} value bytes`);
    this.zone = zone;
  }
}

/** An argument no zone could accept: a key over the limit, a malformed address, ... */
export class ZoneArgumentError extends RangeError {
  override name = 'ZoneArgumentError';
}
