/** A write that found no room even after evicting the least recently used records. */
export class ZoneFullError extends Error {
  override name = 'ZoneFullError';
  readonly zone: string;
  constructor(zone: string, keyBytes: number, valueBytes: number) {
    super(`zone "${zone}" is full: no room for a record of ${keyBytes} key and ${valueBytes} value bytes even after evicting the least recently used records`);
    this.zone = zone;
  }
}

/** An argument no zone could accept: a key over the limit, a malformed address, ... */
export class ZoneArgumentError extends RangeError {
  override name = 'ZoneArgumentError';
}
