// Self-checking values for the torn-read test: every version of a key's value names its key
// and version and carries a checksum of both, so a value read half from one version and half
// from another (or from a block since reused by another key) never passes `checkValue`.

/** FNV-1a over a string's UTF-16 units, 32-bit. */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Lengths vary so that records grow, move to other blocks (some to runs of pages) and shrink. */
function padLength(version) {
  const r = Math.imul(version, 0x9e3779b1) >>> 0;
  return r % 17 === 0 ? 2000 + (r % 3000) : r % 700;
}

/** The value of `key` at `version`: key:version:checksum:padding, the padding one letter repeated. */
export function makeValue(key, version) {
  const length = padLength(version);
  const sum = fnv1a(`${key}:${version}:${length}`);
  return `${key}:${version}:${sum}:${String.fromCharCode(97 + (sum % 26)).repeat(length)}`;
}

/** null when `value` is a whole version of `key`'s value, else what is wrong with it. */
export function checkValue(key, value) {
  if (!value.startsWith(`${key}:`)) return 'belongs to another key';
  const rest = value.slice(key.length + 1);
  const a = rest.indexOf(':');
  const b = rest.indexOf(':', a + 1);
  if (a < 0 || b < 0) return 'has no version or checksum';
  const version = Number(rest.slice(0, a));
  if (!Number.isInteger(version) || version < 0) return 'has a bad version';
  return makeValue(key, version) === value ? null : `is not version ${version} of its key`;
}

/** A small seeded generator (xorshift32): each worker its own sequence. */
export function xorshift(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
}
