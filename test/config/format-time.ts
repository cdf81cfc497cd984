// Milliseconds as nginx would write them, exact: 90000 → "1m30s", 1500 → "1s500ms",
// 0 → "0s". Tests read parseTimeMs's compound forms through it.
const UNITS = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const;

export function formatTimeMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`time must be a non-negative safe integer, got ${ms}`);
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, scale] of UNITS) {
    const count = Math.floor(rest / scale);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * scale;
  }
  return text;
}
