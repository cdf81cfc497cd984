// @ts-check
// What is wrong with a peer connection, from its status in /api/9/stream/zone_sync (and, for
// a snapshot, from how it moved between polls). Each finding has a level: the table's row
// takes the worst one.

/**
 * @typedef {object} PeerStatus  one entry of the API's `peers`
 * @property {string} address
 * @property {'outbound' | 'inbound'} direction
 * @property {'idle' | 'connecting' | 'handshake' | 'open' | 'closing' | 'self'} state
 * @property {number} nodeId
 * @property {string} nodeName
 * @property {number} connectedSinceMs
 * @property {number} rttMs
 * @property {number} lastMessageAgeMs
 * @property {number} bytesIn
 * @property {number} bytesOut
 * @property {string | null} lastError
 * @property {{state: string, zonesDone: number, zonesTotal: number, records: number, zone: string | null}} snapshot
 * @property {number} recordsIn
 * @property {Record<string, number>} recordsRefused
 * @property {number | null} clockOffsetMs
 */

/** @typedef {'ok' | 'warn' | 'bad'} Level */
/** @typedef {{level: Level, text: string}} Finding */

/** A peer clock this far off is worth a look; past the clock guard its records are refused. */
const CLOCK_WARN_MS = 1000;
const CLOCK_GUARD_MS = 60_000;
/** A snapshot whose record count has not moved for this long is stalled. */
const SNAPSHOT_STALL_MS = 10_000;
/** An open connection that has heard nothing for this long is suspect. */
const SILENCE_WARN_MS = 10_000;

const LEVEL_RANK = { ok: 0, warn: 1, bad: 2 };

/**
 * The link as an operator names it: an outbound slot that is not connected is down (it
 * redials); one dialling for the first time is connecting.
 * @param {PeerStatus} peer
 * @returns {{label: string, level: Level}}
 */
function peerLink(peer) {
  switch (peer.state) {
    case 'open': return { label: 'up', level: 'ok' };
    case 'handshake': return { label: 'connecting', level: 'warn' };
    case 'connecting': return peer.lastError === null ? { label: 'connecting', level: 'warn' } : { label: 'down', level: 'bad' };
    case 'closing': return { label: 'closing', level: 'warn' };
    case 'self': return { label: 'this node', level: 'ok' };
    default: return { label: 'down', level: 'bad' };
  }
}

/**
 * @param {PeerStatus} peer
 * @param {number} snapshotStillForMs  how long the snapshot's record count has not changed
 * @returns {Finding[]}
 */
function peerFindings(peer, snapshotStillForMs) {
  /** @type {Finding[]} */
  const findings = [];
  const link = peerLink(peer);
  if (link.level !== 'ok') findings.push({ level: link.level, text: link.label });
  if (peer.lastError !== null && peer.lastError.startsWith('TLS')) findings.push({ level: 'bad', text: 'TLS refused' });
  const moving = peer.snapshot.state === 'sending' || peer.snapshot.state === 'receiving';
  if (moving && snapshotStillForMs >= SNAPSHOT_STALL_MS) {
    findings.push({ level: 'bad', text: `snapshot stalled for ${formatDuration(snapshotStillForMs)}` });
  }
  const refused = Object.values(peer.recordsRefused).reduce((a, b) => a + b, 0);
  if (refused > 0) findings.push({ level: peer.recordsRefused.future > 0 ? 'bad' : 'warn', text: `${plural(refused, 'record')} refused` });
  const offset = peer.clockOffsetMs;
  if (offset !== null && Math.abs(offset) >= CLOCK_WARN_MS) {
    findings.push({ level: Math.abs(offset) >= CLOCK_GUARD_MS ? 'bad' : 'warn', text: `clock ${formatOffset(offset)}` });
  }
  if (peer.state === 'open' && peer.lastMessageAgeMs >= SILENCE_WARN_MS) {
    findings.push({ level: 'warn', text: `silent for ${formatDuration(peer.lastMessageAgeMs)}` });
  }
  return findings;
}

/**
 * The worst level of the findings; ok when there are none.
 * @param {Finding[]} findings
 * @returns {Level}
 */
function worstLevel(findings) {
  /** @type {Level} */
  let worst = 'ok';
  for (const f of findings) if (LEVEL_RANK[f.level] > LEVEL_RANK[worst]) worst = f.level;
  return worst;
}

/**
 * Tells, for each connection, since when its snapshot's record count has not changed.
 */
class SnapshotWatch {
  constructor() {
    /** @type {Map<string, {records: number, sinceMs: number}>} */
    this.seen = new Map();
  }

  /**
   * @param {PeerStatus[]} peers
   * @param {number} nowMs
   * @returns {Map<string, number>} by peerKey, ms without progress
   */
  update(peers, nowMs) {
    /** @type {Map<string, number>} */
    const still = new Map();
    const next = new Map();
    for (const peer of peers) {
      const key = peerKey(peer);
      const before = this.seen.get(key);
      const entry = before !== undefined && before.records === peer.snapshot.records ? before : { records: peer.snapshot.records, sinceMs: nowMs };
      next.set(key, entry);
      still.set(key, nowMs - entry.sinceMs);
    }
    this.seen = next;
    return still;
  }
}

/** @param {PeerStatus} peer */
function peerKey(peer) {
  return `${peer.direction} ${peer.address}`;
}
