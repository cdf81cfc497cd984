// @ts-check
// Line charts in plain SVG: a few series over the last minutes, drawn anew at each poll.
// Colours come from the style sheet, by class.

/**
 * @typedef {object} ChartLine
 * @property {string} label
 * @property {string} className  the line's colour class (line-ok, line-warn, line-bad, line-a, line-b)
 * @property {Series} series
 */

/** The smallest window a chart shows, so that the first seconds are not stretched across it. */
const MIN_WINDOW_MS = 30_000;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

/**
 * 0 → 1, 7 → 10, 23 → 50, 0.3 → 0.5: a round top for the y axis.
 * @param {number} max
 */
function niceCeiling(max) {
  if (!(max > 0)) return 1;
  if (!Number.isFinite(max)) return Number.MAX_VALUE;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  // Below the smallest normal double the power underflows to 0 (dividing by it gave NaN
  // coordinates): such values are 0 on any axis.
  if (!(magnitude >= Number.MIN_VALUE * 1e10)) return 1;
  if (!Number.isFinite(10 * magnitude)) return Number.MAX_VALUE;
  for (const step of [1, 2, 5, 10]) if (max <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

/**
 * @param {object} options
 * @param {ChartLine[]} options.lines
 * @param {number} options.width
 * @param {number} options.height
 * @param {number} options.nowMs
 * @param {(value: number) => string} options.format  y axis labels
 * @param {string} options.label  what the chart shows, for screen readers
 * @returns {SVGElement}
 */
function lineChart({ lines, width, height, nowMs, format, label }) {
  const first = Math.min(nowMs, ...lines.map((l) => l.series.times[0] ?? nowMs));
  const windowMs = Math.min(HISTORY_MS, Math.max(MIN_WINDOW_MS, nowMs - first));
  const top = niceCeiling(Math.max(...lines.map((l) => l.series.max())));
  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = Math.max(10, height - PAD.top - PAD.bottom);
  /** @param {number} t */
  const x = (t) => PAD.left + plotW * (1 - (nowMs - t) / windowMs);
  /** @param {number} v */
  const y = (v) => PAD.top + plotH * (1 - v / top);

  const svg = svgEl('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label });
  for (const fraction of [0, 0.5, 1]) {
    const gy = y(top * fraction);
    svg.append(svgEl('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: gy, y2: gy }));
    svg.append(svgEl('text', { class: 'axis', x: PAD.left - 6, y: gy + 4, 'text-anchor': 'end' }, format(top * fraction)));
  }
  svg.append(svgEl('text', { class: 'axis', x: PAD.left, y: height - 4, 'text-anchor': 'start' }, `−${formatDuration(windowMs)}`));
  svg.append(svgEl('text', { class: 'axis', x: width - PAD.right, y: height - 4, 'text-anchor': 'end' }, 'now'));

  for (const line of lines) {
    const { times, values } = line.series;
    const points = [];
    for (let i = 0; i < times.length; i++) {
      if (times[i] < nowMs - windowMs) continue;
      points.push(`${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`);
    }
    if (points.length === 0) continue;
    if (points.length === 1) points.push(`${(width - PAD.right).toFixed(1)},${points[0].split(',')[1]}`);
    svg.append(svgEl('polyline', { class: `line ${line.className}`, points: points.join(' ') }, undefined));
  }
  return svg;
}

/**
 * The chart's key: each line's colour, label and last value.
 * @param {ChartLine[]} lines
 * @param {(value: number) => string} format
 */
function chartLegend(lines, format) {
  return el('div', 'legend', lines.map((line) => {
    const last = line.series.last();
    return el('span', 'legend-item', [
      el('span', `swatch ${line.className}`),
      `${line.label} `,
      el('strong', null, last === null ? '—' : format(last)),
    ]);
  }));
}

/** A card's inner padding, left and right together (the style sheet's .card). */
const CARD_PADDING_PX = 32;
const CHART_HEIGHT_PX = 150;

/**
 * Fills a card with its title, a line of detail, the chart and its legend; the chart takes
 * the card's width, which the grid gives it whatever its content.
 * @param {HTMLElement} card
 * @param {object} options
 * @param {string} options.title
 * @param {Child} options.detail
 * @param {ChartLine[]} options.lines
 * @param {(value: number) => string} options.format
 * @param {number} options.nowMs
 */
function fillChartCard(card, { title, detail, lines, format, nowMs }) {
  fill(card, [el('h3', null, title), el('div', 'card-detail', detail)]);
  const width = Math.max(120, card.clientWidth - CARD_PADDING_PX);
  card.append(lineChart({ lines, width, height: CHART_HEIGHT_PX, nowMs, format, label: title }), chartLegend(lines, format));
}
