// @ts-check
// Every sync connection of the node, outbound (one per configured address) and inbound,
// with what is wrong with it: a row's colour is its worst finding.

const PEER_COLUMNS = ['Peer', 'Direction', 'State', 'RTT', 'Last message', 'Bytes in / out', 'Snapshot', 'Clock', 'Refused', 'Problems and last error'];

/**
 * @param {PeerStatus[]} peers
 * @param {Map<string, number>} snapshotStill  by peerKey, ms without snapshot progress
 */
function renderPeers(peers, snapshotStill) {
  const shown = peers.filter((p) => p.state !== 'self')
    .sort((a, b) => b.direction.localeCompare(a.direction) || a.address.localeCompare(b.address)); // outbound first
  if (shown.length === 0) {
    fill(byId('peers'), [el('p', 'note', 'No peers: the node has no zone_sync_server other than itself, and no peer has connected.')]);
    return;
  }
  const rows = shown.map((peer) => peerRow(peer, snapshotStill.get(peerKey(peer)) ?? 0));
  fill(byId('peers'), [table(PEER_COLUMNS, rows, 'peers')]);
}

/**
 * @param {PeerStatus} peer
 * @param {number} stillMs
 */
function peerRow(peer, stillMs) {
  const link = peerLink(peer);
  const findings = peerFindings(peer, stillMs);
  const refused = Object.entries(peer.recordsRefused).filter(([, n]) => n > 0);
  return el('tr', `level-${worstLevel(findings)}`, [
    el('td', null, [
      el('div', 'mono', peer.address),
      el('div', 'sub', peer.nodeId === -1 ? '' : `${peer.nodeName} · id ${peer.nodeId}`),
    ]),
    el('td', null, peer.direction === 'outbound' ? '→ out' : '← in'),
    el('td', null, el('span', `badge ${link.level}`, link.label)),
    el('td', 'num', peer.rttMs < 0 ? '—' : formatDuration(peer.rttMs)),
    el('td', 'num', peer.lastMessageAgeMs < 0 ? '—' : `${formatDuration(peer.lastMessageAgeMs)} ago`),
    el('td', 'num', `${formatBytes(peer.bytesIn)} / ${formatBytes(peer.bytesOut)}`),
    el('td', null, snapshotText(peer)),
    el('td', 'num', peer.clockOffsetMs === null ? '—' : formatOffset(peer.clockOffsetMs)),
    el('td', 'num', refused.length === 0 ? '0' : refused.map(([reason, n]) => `${formatCount(n)} ${reason}`).join(', ')),
    el('td', 'problems', [
      ...findings.filter((f) => f.text !== link.label).map((f) => el('span', `badge ${f.level}`, f.text)),
      peer.lastError === null ? null : el('div', 'error-text', peer.lastError),
    ]),
  ], { 'data-peer': peer.address, 'data-direction': peer.direction, 'data-state': link.label });
}

/** @param {PeerStatus} peer */
function snapshotText(peer) {
  const snap = peer.snapshot;
  const verb = peer.direction === 'outbound' ? 'sent' : 'received';
  switch (snap.state) {
    case 'none': return '—';
    case 'done': return `done, ${formatCount(snap.records)} ${verb}`;
    default: {
      const zones = snap.zonesTotal > 0 ? `zone ${snap.zonesDone + 1} of ${snap.zonesTotal}` : `${plural(snap.zonesDone, 'zone')} done`;
      return `${snap.state} ${snap.zone ?? ''}: ${formatCount(snap.records)} ${verb}, ${zones}`;
    }
  }
}

/**
 * A table with a header row.
 * @param {string[]} columns
 * @param {HTMLTableRowElement[]} rows
 * @param {string} name  for the table's class and tests
 */
function table(columns, rows, name) {
  return el('table', `grid-table ${name}`, [
    el('thead', null, el('tr', null, columns.map((c) => el('th', null, c)))),
    el('tbody', null, rows),
  ]);
}
