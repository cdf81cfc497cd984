// @ts-check
// limit_req zones: requests passed, delayed and rejected per second, from the counters of
// /api/9/http/limit_reqs/ (NGINX Plus's shape). A node whose API has no such endpoint still
// shows the rest of the page, and says why this part is empty.

/**
 * @typedef {object} LimitReqCounters  one zone of /api/9/http/limit_reqs/
 * @property {number} passed
 * @property {number} delayed
 * @property {number} rejected
 * @property {number} [delayed_dry_run]
 * @property {number} [rejected_dry_run]
 */

const LIMIT_OUTCOMES = /** @type {const} */ (['passed', 'delayed', 'rejected']);
const LIMIT_LINE_CLASS = { passed: 'line-ok', delayed: 'line-warn', rejected: 'line-bad' };

class LimitHistory {
  constructor() {
    /** @type {Record<string, Series>} */
    this.series = {};
    /** @type {Record<string, CounterRate>} */
    this.rates = {};
    for (const outcome of LIMIT_OUTCOMES) {
      this.series[outcome] = new Series();
      this.rates[outcome] = new CounterRate();
    }
    /** @type {LimitReqCounters | null} */
    this.last = null;
  }

  /**
   * @param {LimitReqCounters} counters
   * @param {number} nowMs
   */
  record(counters, nowMs) {
    this.last = counters;
    for (const outcome of LIMIT_OUTCOMES) {
      const rate = this.rates[outcome].next(nowMs, Number(counters[outcome]) || 0);
      if (rate !== null) this.series[outcome].push(nowMs, rate);
    }
  }
}

/**
 * @param {string[]} zones  the node's limit_req zones
 * @param {ApiResult} result  of /api/9/http/limit_reqs/
 * @param {Keyed<LimitHistory>} histories
 * @param {number} nowMs
 */
function renderLimits(zones, result, histories, nowMs) {
  const container = byId('limits');
  const message = limitsMessage(zones, result);
  if (message !== null) {
    keyedElements(container, [], () => el('div', 'card'));
    fill(container, [el('p', 'note', message)]);
    return;
  }
  const body = /** @type {{ok: true, body: Record<string, LimitReqCounters>}} */ (result).body;
  histories.keepOnly(new Set(zones));
  const cards = keyedElements(container, zones, (zone) => el('div', 'card', [], { 'data-limit-zone': zone }));
  for (const zone of zones) {
    const history = histories.get(zone);
    const counters = body[zone];
    if (counters !== undefined) history.record(counters, nowMs);
    fillChartCard(/** @type {HTMLElement} */ (cards.get(zone)), {
      title: zone, detail: counters === undefined ? 'no counters for this zone yet' : totalsText(counters), nowMs, format: formatRate,
      lines: LIMIT_OUTCOMES.map((outcome) => ({ label: outcome, className: LIMIT_LINE_CLASS[outcome], series: history.series[outcome] })),
    });
  }
}

/**
 * Why there is nothing to chart, or null when there is.
 * @param {string[]} zones
 * @param {ApiResult} result
 */
function limitsMessage(zones, result) {
  if (zones.length === 0) return 'The node has no limit_req zones.';
  if (result.ok) return null;
  if (result.kind === 'http' && result.status === 404) {
    return 'This node\'s API has no /http/limit_reqs/: the counts of requests passed, delayed and rejected are not available.';
  }
  return `The request counts could not be read: ${result.kind === 'http' ? `${result.status} ${result.text}` : result.text}.`;
}

/** @param {LimitReqCounters} c */
function totalsText(c) {
  const dry = (c.delayed_dry_run ?? 0) + (c.rejected_dry_run ?? 0) > 0
    ? `; dry run: ${formatCount(c.delayed_dry_run ?? 0)} delayed, ${formatCount(c.rejected_dry_run ?? 0)} rejected` : '';
  return `in total ${formatCount(c.passed)} passed, ${formatCount(c.delayed)} delayed, ${formatCount(c.rejected)} rejected${dry}`;
}
