// @ts-check
// Numbers as the page shows them.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * 1536 → "1.5 KiB".
 * @param {number} bytes
 */
function formatBytes(bytes) {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? String(Math.round(value)) : value.toFixed(value < 10 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

/**
 * 1234567 → "1,234,567"; a fraction (a chart's axis) keeps one decimal.
 * @param {number} n
 */
function formatCount(n) {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/**
 * A rate per second, to at most one decimal: 0.25 → "0.3", 2 → "2", 12.34 → "12", 1500 → "1.5k".
 * @param {number} perSecond
 */
function formatRate(perSecond) {
  if (perSecond >= 10_000) return `${Math.round(perSecond / 1000)}k`;
  if (perSecond >= 1000) return `${Math.round(perSecond / 100) / 10}k`;
  if (perSecond >= 10) return String(Math.round(perSecond));
  return String(Math.round(perSecond * 10) / 10);
}

/**
 * A duration: "850 ms", "12.3 s", "3 min 4 s", "2 h 5 min", "3 d 4 h".
 * @param {number} ms
 */
function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return withPart(`${minutes} min`, Math.floor(seconds % 60), 's');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return withPart(`${hours} h`, minutes % 60, 'min');
  return withPart(`${Math.floor(hours / 24)} d`, hours % 24, 'h');
}

/**
 * "3 min" and 4 s → "3 min 4 s"; a zero part is left out.
 * @param {string} whole
 * @param {number} part
 * @param {string} unit
 */
function withPart(whole, part, unit) {
  return part === 0 ? whole : `${whole} ${part} ${unit}`;
}

/**
 * A clock offset with its sign: "+1.2 s", "−350 ms".
 * @param {number} ms
 */
function formatOffset(ms) {
  return `${ms < 0 ? '−' : '+'}${formatDuration(Math.abs(ms))}`;
}

/**
 * A moment as "2026-12-01 14:03:27", in the browser's time zone.
 * @param {number} ms
 */
function formatDateTime(ms) {
  const d = new Date(ms);
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${formatTime(ms)}`;
}

/**
 * The wall-clock time of a moment, "14:03:27".
 * @param {number} ms
 */
function formatTime(ms) {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/**
 * "1 peer", "2 peers".
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
