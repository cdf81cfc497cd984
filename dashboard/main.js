// @ts-check
// The poll loop: once a second, the node's status, its sync status and its limit_req
// counters, read in parallel through the API; then every section is drawn again. When the
// API cannot be read, a banner says why and the figures stay, dimmed, as last read. Polls
// never overlap; one whose answer is late is said to be late, and waited for.

const POLL_INTERVAL_MS = 1000;
/** An answer later than this is worth a word: the node may be stuck, or the browser asking for credentials. */
const LATE_MS = 4000;

const base = apiBase();
const cluster = new ClusterHistory();
/** @type {Keyed<LimitHistory>} */
const limitHistories = new Keyed(() => new LimitHistory());
const snapshots = new SnapshotWatch();
const keys = new KeysPanel(base);
const syncEndpoint = new OptionalEndpoint(base, '/9/stream/zone_sync');
const limitsEndpoint = new OptionalEndpoint(base, '/9/http/limit_reqs/');
/** When the API last answered; null before it ever did. */
let lastReadMs = /** @type {number | null} */ (null);
/** When the poll in progress started; null between polls. */
let pollStartedMs = /** @type {number | null} */ (null);

async function poll() {
  const started = Date.now();
  pollStartedMs = started;
  try {
    const [node, sync, limits] = await Promise.all([
      getJson(base, '/9/zonesync'), syncEndpoint.read(started), limitsEndpoint.read(started),
    ]);
    draw(node, sync, limits, Date.now());
    await keys.refresh(Date.now());
  } catch (error) {
    showBanner(`The dashboard failed to draw the node's status: ${errorText(error)}`);
  }
  pollStartedMs = null;
  setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (Date.now() - started)));
}

/** Says so while the answer to a poll is late. */
function watchLatePoll() {
  if (pollStartedMs === null || Date.now() - pollStartedMs < LATE_MS) return;
  showBanner(`No answer from the node's API at ${base}/ for ${formatDuration(Date.now() - pollStartedMs)}: the node may be stuck or unreachable, or the browser may be asking for the API's credentials. Still waiting.`);
  markStale();
}

/**
 * @param {ApiResult} node  /9/zonesync
 * @param {ApiResult} sync  /9/stream/zone_sync
 * @param {ApiResult} limits  /9/http/limit_reqs/
 * @param {number} nowMs
 */
function draw(node, sync, limits, nowMs) {
  if (!node.ok) {
    showBanner(unreadableText(node));
    markStale();
    return;
  }
  lastReadMs = nowMs;
  hideBanner();
  byId('main').classList.remove('stale');
  fill(byId('freshness'), [el('span', 'dot ok'), `live: read ${formatTime(nowMs)}`]);

  /** @type {NodeStatus} */
  const status = node.body;
  renderNode(status);
  if (sync.ok) {
    /** @type {ZoneSyncBody} */
    const body = sync.body;
    const peers = body.peers ?? [];
    cluster.record(body, nowMs);
    renderCluster(body, cluster, nowMs);
    renderPeers(peers, snapshots.update(peers, nowMs));
  } else {
    const text = sync.kind === 'http' && sync.status === 404
      ? 'This node does not sync: its configuration has no zone_sync server.'
      : `The sync status could not be read: ${sync.kind === 'http' ? `${sync.status} ${sync.text}` : sync.text}.`;
    renderClusterMessage(text);
    fill(byId('peers'), [el('p', 'note', text)]);
  }
  renderZones(status.zones, (zone, context) => keys.open(zone, context));
  const limitZones = Object.keys(status.zones).filter((name) => status.zones[name].type === 'limit_req').sort();
  renderLimits(limitZones, limits, limitHistories, nowMs);
}

/**
 * What the operator needs to know when the node's status could not be read.
 * @param {ApiResult} result
 */
function unreadableText(result) {
  const at = `${base}/`;
  if (result.ok) return '';
  if (result.kind === 'unreachable') {
    return `Cannot reach the node's API at ${at}: ${result.text}. Retrying every second.`;
  }
  const status = `${result.status}${result.code === '' ? '' : ` ${result.code}`}`;
  if (result.status === 401 || result.status === 403) {
    return `The API at ${at} refused this browser (${status}: ${result.text}). The dashboard reads the API through its location, whose allow, deny and auth_basic apply.`;
  }
  if (result.status === 404) {
    return `There is no zonesync API at ${at} (${status}). The page reads the API at the path that zonesync_dashboard's api= names.`;
  }
  return `The API at ${at} answered ${status}: ${result.text}.`;
}

/** The figures stay as last read, dimmed. */
function markStale() {
  byId('main').classList.add('stale');
  fill(byId('freshness'), [el('span', 'dot bad'), lastReadMs === null ? 'no data' : `stale: last read ${formatTime(lastReadMs)}`]);
}

/** @param {string} text */
function showBanner(text) {
  const banner = byId('banner');
  fill(banner, [text]);
  banner.hidden = false;
}

function hideBanner() {
  byId('banner').hidden = true;
}

void poll();
setInterval(watchLatePoll, POLL_INTERVAL_MS);
