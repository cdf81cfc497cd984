// nginx units: sizes, times and request rates, as ngx_parse_size, ngx_parse_time and
// ngx_http_limit_req_zone read them. Pure functions; a bad value throws ConfigValueError.

import { ConfigValueError } from './errors.js';

const KIB = 1024;
const DIGITS = /^[0-9]+$/;

/** nginx ngx_atoi: decimal digits only, no sign, no spaces; NaN-free or throws. */
export function parseNonNegativeInteger(text: string): number {
  if (!DIGITS.test(text)) {
    throw new ConfigValueError(`invalid number "${text}"`, text);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new ConfigValueError(`number "${text}" is too large`, text);
  }
  return value;
}

const SIZE_SCALE: Readonly<Record<string, number>> = {
  k: KIB, K: KIB, m: KIB * KIB, M: KIB * KIB, g: KIB * KIB * KIB, G: KIB * KIB * KIB,
};

/**
 * ngx_parse_size / ngx_parse_offset: digits with an optional k|K, m|M or g|G suffix
 * (powers of 1024). "4k" → 4096. No fractions, no sign, no spaces.
 */
export function parseSize(text: string): number {
  const scale = SIZE_SCALE[text.slice(-1)] ?? 1;
  const digits = scale === 1 ? text : text.slice(0, -1);
  if (!DIGITS.test(digits)) {
    throw new ConfigValueError(`invalid size "${text}"`, text);
  }
  const bytes = Number(digits) * scale;
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigValueError(`size "${text}" is too large`, text);
  }
  return bytes;
}

/** The largest unit that divides the size exactly: 4096 → "4k", 1048576 → "1m", 1000 → "1000". */
export function formatSize(bytes: number): string {
  assertCount(bytes, 'size');
  if (bytes === 0) return '0';
  for (const [unit, scale] of [['g', KIB ** 3], ['m', KIB ** 2], ['k', KIB]] as const) {
    if (bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/*
 * ngx_parse_time's units, largest first. A unit may appear at most once and only after every
 * larger one; "rank" encodes that order. Same values as nginx (a month is 30 days, a year 365).
 */
const TIME_UNITS: Readonly<Record<string, { rank: number; ms: number }>> = {
  y: { rank: 1, ms: 365 * DAY_MS },
  M: { rank: 2, ms: 30 * DAY_MS },
  w: { rank: 3, ms: 7 * DAY_MS },
  d: { rank: 4, ms: DAY_MS },
  h: { rank: 5, ms: HOUR_MS },
  m: { rank: 6, ms: MINUTE_MS },
  s: { rank: 7, ms: SECOND_MS },
  ms: { rank: 8, ms: 1 },
};
/*
 * A space right after digits ends them as seconds (nginx's st_last): allowed only before any
 * "s" or "ms", and after it nothing but a final bare number may follow.
 */
const RANK_AFTER_BARE_NUMBER = 9;
const RANK_SECONDS = 7;

/**
 * ngx_parse_time → milliseconds. Components such as "1h30m", "1h 30m", "1s 500ms"; units
 * ms, s, m, h, d, w, M (30 days), y (365 days); a number without unit means seconds.
 *
 * nginx refuses y and M for directives kept in milliseconds (the C value would overflow) and
 * "ms" for those kept in seconds; zonesync keeps every time in milliseconds as a JS number,
 * so it accepts every unit everywhere.
 */
export function parseTimeMs(text: string): number {
  const fail = (): never => {
    throw new ConfigValueError(`invalid time "${text}"`, text);
  };
  let rank = 0;
  let totalMs = 0;
  let value = 0;
  let sawDigit = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch >= '0' && ch <= '9') {
      value = value * 10 + (ch.charCodeAt(0) - 48);
      sawDigit = true;
      i++;
      continue;
    }
    const unitName = ch === 'm' && text[i + 1] === 's' ? 'ms' : ch;
    const isBare = unitName === ' ';
    const unit = isBare ? { rank: RANK_AFTER_BARE_NUMBER, ms: SECOND_MS } : TIME_UNITS[unitName];
    if (unit === undefined || unit.rank <= rank || (isBare && rank >= RANK_SECONDS)) fail();
    rank = unit!.rank;
    totalMs += value * unit!.ms;
    value = 0;
    i += unitName.length;
    while (text[i] === ' ') i++;
  }
  if (!sawDigit) fail();
  totalMs += value * SECOND_MS;
  if (!Number.isSafeInteger(totalMs)) {
    throw new ConfigValueError(`time "${text}" is too large`, text);
  }
  return totalMs;
}

/** Milliseconds as nginx's time units write them, exact: 90000 → "1m30s", 1500 → "1s500ms", 0 → "0s". */
export function formatTimeMs(ms: number): string {
  assertCount(ms, 'time');
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const scale = TIME_UNITS[unit]!.ms;
    const count = Math.floor(rest / scale);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * scale;
  }
  return text;
}

/**
 * A limit_req rate. nginx keeps `rate * 1000 / scale` truncated to an integer (milli-requests
 * per second; "30r/m" → 500, "1r/m" → 16) and its leaky bucket drains that many per second;
 * zonesync's limit_req zone uses milliRequestsPerSecond the same way.
 */
export interface RequestRate {
  /** The number before "r/". */
  readonly requests: number;
  /** 's' for "r/s" (also a bare number, as nginx), 'm' for "r/m". */
  readonly per: 's' | 'm';
  /** nginx's ctx->rate: floor(requests * 1000 / (per === 'm' ? 60 : 1)). */
  readonly milliRequestsPerSecond: number;
}

/** The fastest rate, in milli-requests per second: a limit_req zone keeps its rate in a 32-bit word. */
export const MAX_RATE_MILLI_PER_SECOND = 0xffffffff;

/**
 * "100r/s", "30r/m", or "100" (requests per second, as nginx reads it). Zero is invalid, and
 * so is a rate over MAX_RATE_MILLI_PER_SECOND (4294967r/s).
 */
export function parseRate(text: string): RequestRate {
  const per: 's' | 'm' = text.endsWith('r/m') ? 'm' : 's';
  const digits = text.endsWith('r/s') || text.endsWith('r/m') ? text.slice(0, -3) : text;
  const requests = DIGITS.test(digits) ? Number(digits) : 0;
  const milliRequestsPerSecond = Math.floor((requests * 1000) / (per === 'm' ? 60 : 1));
  if (requests <= 0 || !Number.isSafeInteger(requests * 1000) || milliRequestsPerSecond > MAX_RATE_MILLI_PER_SECOND) {
    throw new ConfigValueError(`invalid rate "${text}"`, text);
  }
  return { requests, per, milliRequestsPerSecond };
}

/** A rate as nginx writes it: "100r/s", "30r/m". */
export function formatRate(rate: RequestRate): string {
  return `${rate.requests}r/${rate.per}`;
}

function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}
