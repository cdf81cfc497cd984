// @ts-check
// Every zone of the node, from /api/9/zonesync: records, records waiting to be sent, memory
// used of the zone's size, evictions. A keyval zone's keys open below the table.

const ZONE_COLUMNS = ['Zone', 'Type', 'Sync', 'Records', 'Pending', 'Memory used', 'Evictions', 'Expired', ''];

/** Memory this full is worth a look; a keyval zone that is full refuses writes (it evicts nothing). */
const MEMORY_WARN = 0.8;
const MEMORY_BAD = 0.95;

/**
 * @param {Record<string, ZoneStatus>} zones
 * @param {(zone: string, context: 'http' | 'stream') => void} openKeys
 */
function renderZones(zones, openKeys) {
  const names = Object.keys(zones).sort();
  if (names.length === 0) {
    fill(byId('zones'), [el('p', 'note', 'The node has no zones.')]);
    return;
  }
  fill(byId('zones'), [table(ZONE_COLUMNS, names.map((name) => zoneRow(name, zones[name], openKeys)), 'zones')]);
}

/**
 * @param {string} name
 * @param {ZoneStatus} zone
 * @param {(zone: string, context: 'http' | 'stream') => void} openKeys
 */
function zoneRow(name, zone, openKeys) {
  const share = zone.size > 0 ? zone.used / zone.size : 0;
  const memoryLevel = share >= MEMORY_BAD ? 'bad' : share >= MEMORY_WARN ? 'warn' : 'ok';
  const trouble = zone.alloc_failures > 0 ? 'bad' : memoryLevel === 'ok' ? 'ok' : memoryLevel;
  const keysButton = zone.type === 'keyval' ? el('button', 'link-button', 'keys', { type: 'button' }) : null;
  keysButton?.addEventListener('click', () => openKeys(name, zone.context));
  return el('tr', `level-${trouble}`, [
    el('td', 'mono', name),
    el('td', null, zone.context === 'stream' ? `${zone.type} (stream)` : zone.type),
    el('td', null, zone.sync ? el('span', 'badge ok', 'sync') : el('span', 'badge', 'local')),
    el('td', 'num', formatCount(zone.records)),
    el('td', 'num', formatCount(zone.pending)),
    el('td', null, [
      meter(share, memoryLevel),
      el('span', 'sub', `${formatBytes(zone.used)} of ${formatBytes(zone.size)}`),
    ]),
    el('td', 'num', formatCount(zone.evictions)),
    el('td', 'num', formatCount(zone.expired)),
    el('td', null, [
      zone.alloc_failures > 0 ? el('span', 'badge bad', `${plural(zone.alloc_failures, 'write')} found no room`) : null,
      keysButton,
    ]),
  ], { 'data-zone': name });
}

/**
 * A bar filled to the share.
 * @param {number} share  0 to 1
 * @param {string} level
 */
function meter(share, level) {
  const bar = el('span', `meter-fill ${level}`);
  bar.style.width = `${Math.min(100, Math.max(0, share * 100)).toFixed(1)}%`;
  return el('span', 'meter', bar, { title: `${(share * 100).toFixed(1)}% used` });
}
