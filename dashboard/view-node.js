// @ts-check
// The node itself, from /api/9/zonesync: who it is, since when, its threads.

/**
 * @typedef {object} NodeStatus  the body of /api/9/zonesync
 * @property {{id: number, name: string, version: string, pid: number, start_time: string, uptime_ms: number}} node
 * @property {{threads: number, http: 'primary' | 'workers'}} workers
 * @property {{state: 'off' | 'running' | 'exited', listen: string | null}} sync
 * @property {Record<string, ZoneStatus>} zones
 */

/**
 * @typedef {object} ZoneStatus
 * @property {'keyval' | 'limit_req' | 'sticky' | 'counter'} type
 * @property {'http' | 'stream'} context
 * @property {boolean} sync
 * @property {number} records
 * @property {number} tombstones
 * @property {number} pending
 * @property {number} size
 * @property {number} used
 * @property {number} evictions
 * @property {number} expired
 * @property {number} alloc_failures
 */

const SYNC_THREAD = {
  running: { level: 'ok', text: 'running' },
  exited: { level: 'bad', text: 'exited' },
  off: { level: '', text: 'off' },
};

/**
 * A figure with its label and a line of detail.
 * @param {string} label
 * @param {Child} value
 * @param {Child} detail
 * @param {string} [level]  ok, warn, bad: the figure's colour
 */
function tile(label, value, detail, level = '') {
  return el('div', `tile ${level}`, [
    el('div', 'tile-label', label),
    el('div', 'tile-value', value),
    el('div', 'tile-detail', detail),
  ]);
}

/** @param {NodeStatus} status */
function renderNode(status) {
  const { node, workers, sync } = status;
  fill(byId('node-name'), [node.name]);
  document.title = `zonesync · ${node.name}`;
  const thread = SYNC_THREAD[sync.state] ?? { level: 'warn', text: sync.state };
  fill(byId('node'), [
    tile('Node id', String(node.id), `zonesync ${node.version}, pid ${node.pid}`),
    tile('Uptime', formatDuration(node.uptime_ms), `since ${formatDateTime(Date.parse(node.start_time))}`),
    tile('Worker threads', String(workers.threads),
      workers.http === 'primary' ? 'HTTP on the primary thread, handlers on the workers' : 'HTTP served by the worker threads'),
    tile('Sync thread', thread.text, sync.listen === null ? 'no sync listener' : `listening on ${sync.listen}`, thread.level),
  ]);
}
