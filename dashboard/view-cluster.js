// @ts-check
// The cluster as this node sees it, from /api/9/stream/zone_sync: peers online against the
// peers configured, records waiting to be sent (replication lag) and sync traffic, over time.

/**
 * @typedef {object} ZoneSyncBody  the body of /api/9/stream/zone_sync
 * @property {Record<string, {records_pending: number, records_total: number}>} zones
 * @property {{bytes_in: number, msgs_in: number, msgs_out: number, bytes_out: number, nodes_online: number}} status
 * @property {PeerStatus[]} [peers]
 */

class ClusterHistory {
  constructor() {
    this.pending = new Series();
    this.bytesIn = new Series();
    this.bytesOut = new Series();
    this.inRate = new CounterRate();
    this.outRate = new CounterRate();
  }

  /**
   * @param {ZoneSyncBody} body
   * @param {number} nowMs
   */
  record(body, nowMs) {
    this.pending.push(nowMs, Object.values(body.zones).reduce((sum, z) => sum + z.records_pending, 0));
    const rateIn = this.inRate.next(nowMs, body.status.bytes_in);
    const rateOut = this.outRate.next(nowMs, body.status.bytes_out);
    if (rateIn !== null) this.bytesIn.push(nowMs, rateIn);
    if (rateOut !== null) this.bytesOut.push(nowMs, rateOut);
  }
}

/**
 * Peers configured: the outbound slots (one per zone_sync_server address) but this node's own.
 * @param {PeerStatus[]} peers
 */
function configuredPeers(peers) {
  return peers.filter((p) => p.direction === 'outbound' && p.state !== 'self').length;
}

/**
 * @param {ZoneSyncBody} body
 * @param {ClusterHistory} history
 * @param {number} nowMs
 */
function renderCluster(body, history, nowMs) {
  const cards = keyedElements(byId('cluster'), ['online', 'lag', 'traffic'], () => el('div', 'card'));
  const online = body.status.nodes_online;
  const configured = configuredPeers(body.peers ?? []);
  const level = configured === 0 ? '' : online >= configured ? 'ok' : online === 0 ? 'bad' : 'warn';
  fill(/** @type {HTMLElement} */ (cards.get('online')), [
    el('h3', null, 'Nodes online'),
    el('div', `big-figure ${level}`, [String(online), el('span', 'of', ` / ${configured}`)], { 'data-online': String(online), 'data-configured': String(configured) }),
    el('div', 'card-detail', configured === 0 ? 'no zone_sync_server other than this node' : `peers with an open connection, of the ${plural(configured, 'peer')} configured`),
    el('dl', 'facts', [
      el('dt', null, 'messages in / out'), el('dd', null, `${formatCount(body.status.msgs_in)} / ${formatCount(body.status.msgs_out)}`),
      el('dt', null, 'bytes in / out'), el('dd', null, `${formatBytes(body.status.bytes_in)} / ${formatBytes(body.status.bytes_out)}`),
    ]),
  ]);
  fillChartCard(/** @type {HTMLElement} */ (cards.get('lag')), {
    title: 'Replication lag', detail: 'records of synced zones waiting to be sent', nowMs, format: formatCount,
    lines: [{ label: 'pending', className: 'line-a', series: history.pending }],
  });
  fillChartCard(/** @type {HTMLElement} */ (cards.get('traffic')), {
    title: 'Sync traffic', detail: 'bytes per second', nowMs, format: (v) => `${formatBytes(v)}`,
    lines: [
      { label: 'in', className: 'line-a', series: history.bytesIn },
      { label: 'out', className: 'line-b', series: history.bytesOut },
    ],
  });
}

/**
 * The cluster section when the node has no sync status to give.
 * @param {string} text
 */
function renderClusterMessage(text) {
  keyedElements(byId('cluster'), [], () => el('div', 'card'));
  fill(byId('cluster'), [el('p', 'note', text)]);
}
