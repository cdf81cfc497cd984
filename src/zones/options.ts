import { parseSize, parseTimeMs } from '../config/units.js';
import { ZoneArgumentError } from './errors.js';

/** A size as nginx writes it ("32k", "1m") or a number of bytes. */
export type SizeInput = string | number;
/** A time as nginx writes it ("500ms", "10m", "1h") or a number of milliseconds. */
export type TimeInput = string | number;

export function sizeBytesOf(size: SizeInput, what: string): number {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new ZoneArgumentError(`${what} must be a positive number of bytes, not ${size}`);
    return size;
  }
  try {
    return parseSize(size);
  } catch {
    throw new ZoneArgumentError(`${what} "${size}" is not a size (such as 32k or 1m)`);
  }
}

export function timeMsOf(time: TimeInput, what: string): number {
  if (typeof time === 'number') {
    if (!Number.isFinite(time) || time < 0) throw new ZoneArgumentError(`${what} must be a non-negative number of milliseconds, not ${time}`);
    return time;
  }
  try {
    return parseTimeMs(time);
  } catch {
    throw new ZoneArgumentError(`${what} "${time}" is not a time (such as 500ms, 10s or 1h)`);
  }
}

/** Zone names travel in every frame header: 1 to 255 bytes of printable text. */
export function checkZoneName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 255 || /[\s;{}]/.test(name)) {
    throw new ZoneArgumentError(`zone name "${name}" must be 1 to 255 bytes with no spaces, ";" or braces`);
  }
}
