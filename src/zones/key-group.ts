import type { ShmZone } from 'native-free-shm';

/**
 * The records of one key in a zone that keys records by (key, origin), limit_req's and the
 * counter's: one per node, each written only by its node (descriptor.ts originKeySuffix).
 * Under the key's shard lock, collect() sorts them into this node's record and the others'
 * live ones holding a payload of the module's size; the hash leaves the origin out, so they
 * all sit in one bucket and one walk finds them.
 */
export class KeyGroup {
  /** The other nodes' records (`count` of them), at most `maxOthers`; more are ignored. */
  readonly others: Uint32Array;
  count = 0;
  /** This node's record of the key, or 0. May be a tombstone or of another size: check `ownHeld`. */
  own = 0;
  /** Whether `own` holds a payload of the module's size (not a tombstone a peer made). */
  ownHeld = false;
  private readonly found: Uint32Array;

  constructor(private readonly maxOthers: number, private readonly payloadBytes: number) {
    this.others = new Uint32Array(maxOthers);
    this.found = new Uint32Array(maxOthers + 1);
  }

  /**
   * Walks the current key's records (the zone's scratch holds the key without origin). When
   * there are more than `found` holds, this node's record, if not among those held, is looked
   * up by its full key: never missed, never doubled. The scratch key is left as it was.
   */
  collect(shm: ShmZone, shard: number, nowMs: number, nodeId: number): void {
    const found = shm.keyGroupLocked(shard, nowMs, this.found);
    const held = Math.min(found, this.found.length);
    this.count = 0;
    this.own = 0;
    for (let i = 0; i < held; i++) {
      const rec = this.found[i]!;
      if (shm.origin(rec) === nodeId) {
        this.own = rec;
        continue;
      }
      if (shm.isTombstone(rec) || shm.valueLen(rec) !== this.payloadBytes || this.count === this.maxOthers) continue;
      this.others[this.count++] = rec;
    }
    if (this.own === 0 && found > held) {
      const nameLength = shm.keyLength;
      shm.appendKeyU32(nodeId);
      this.own = shm.findLocked(shard, nowMs);
      shm.keyLength = nameLength; // back to the name alone; the hash leaves the suffix out
    }
    this.ownHeld = this.own !== 0 && !shm.isTombstone(this.own) && shm.valueLen(this.own) === this.payloadBytes;
  }

  /**
   * The latest of `atLeastMs` and the expiry of every record of the group, this node's
   * included; 0 (never) if any of them never expires.
   */
  latestExpiry(shm: ShmZone, atLeastMs: number): number {
    let latest = atLeastMs;
    const consider = (rec: number): void => {
      const at = shm.expireAtMs(rec);
      latest = at === 0 || latest === 0 ? 0 : Math.max(latest, at);
    };
    if (this.own !== 0) consider(this.own);
    for (let i = 0; i < this.count; i++) consider(this.others[i]!);
    return latest;
  }
}
