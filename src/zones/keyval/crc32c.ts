// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 metadata and LevelDB's log), reflected,
// initial value and final xor 0xffffffff: the check of every journal entry. Table-driven,
// eight bytes a step (slicing-by-8). No native addon and no Node version dependency
// (zlib.crc32 is CRC-32, and only from Node 20.15).

const POLY_REFLECTED = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t0[b] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const cur = tables[k]!;
    for (let b = 0; b < 256; b++) cur[b] = (prev[b]! >>> 8) ^ t0[prev[b]! & 0xff]!;
  }
  return tables;
})();

/**
 * Continues a CRC-32C over bytes[start..end): pass the result of a previous call as `crc`
 * to checksum discontiguous pieces as one; 0 starts a new one.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c = t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]!
      ^ t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
