// The dashboard in a real browser (Debian's chromium, headless), reading two real nodes that
// sync: both show their peer up with a round-trip time; a zone key that holds markup is shown
// as text and nothing in it runs; a peer whose clock runs an hour ahead is highlighted;
// rejected requests of a limit_req zone reach its chart; a node that stops turns its row to
// down; a refusing API and an unreachable node are said plainly. A screenshot of the page
// under load is saved (DASHBOARD_SCREENSHOT=docs/dashboard.png refreshes the README's).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameWriter } from '../../dist/sync/protocol/index.js';
import { NodeProcess, api, freePorts, tempDir, waitFor, type NodePorts } from '../runtime/cluster-helpers.js';
import { RawPeer, helloFrame, keyvalFrame } from '../util/raw-peer.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { LIMIT_ZONE, USER, writeDashboardNode } from './dashboard-config.js';

const SCREENSHOT = process.env['DASHBOARD_SCREENSHOT'] ?? fileURLToPath(new URL('../../test-output/dashboard.png', import.meta.url));
/** The page polls once a second: what it shows follows the node within a few polls. */
const PAGE_FOLLOWS_MS = 10_000;
const HOUR_MS = 3_600_000;

/* The page's classes and functions, named inside page.evaluate (a class is a script's global binding, not a property of window). */
declare const SnapshotWatch: new () => { update(peers: unknown[], nowMs: number): Map<string, number> };
declare class Series { push(timeMs: number, value: number): void }
declare function lineChart(options: { lines: { label: string; className: string; series: Series }[]; width: number; height: number; nowMs: number; format: (v: number) => string; label: string }): SVGElement;

const temp = tempDir();
let ports: NodePorts[] = [];
let nodes: NodeProcess[] = [];
let browser: TestBrowser;
const pages: { page: Page; errors: string[] }[] = [];
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  const p = await freePorts(4);
  ports = [{ http: p[0]!, sync: p[1]! }, { http: p[2]!, sync: p[3]! }];
  nodes = ports.map((self, i) => new NodeProcess(writeDashboardNode(temp.dir, `n${i}.conf`, self, ports)));
  await Promise.all(nodes.map((n) => n.ready()));
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await browser?.close();
  for (const n of nodes) await n.stop();
  temp.cleanup();
});

async function openPage(node: number, path = '/dashboard.html'): Promise<Page> {
  const opened = await browser.open(`http://127.0.0.1:${ports[node]!.http}${path}`);
  pages.push(opened);
  return opened.page;
}

/** Polls the page until `read` (run in the page) returns something `ok` accepts; returns it. */
async function until<T>(page: Page, read: () => T, ok: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  await waitFor(async () => ok(last = await page.evaluate(read)), PAGE_FOLLOWS_MS, () => `${what}; the page showed ${JSON.stringify(last)}`);
  return last!;
}

/**
 * A proxy in front of a node: each request passes, or is answered 404 as by an API that lacks
 * the endpoint, or is held unanswered (a node that hangs). Its port.
 */
async function proxyTo(port: number, answer: (path: string) => 'pass' | 'missing' | 'hang'): Promise<number> {
  const proxy = http.createServer((req, res) => {
    const what = answer(req.url ?? '/');
    if (what === 'hang') return;
    if (what === 'missing') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { status: 404, text: 'path not found', code: 'PathNotFound' }, request_id: '0', href: '' }));
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => { proxy.closeAllConnections(); proxy.close(r); }));
  return (proxy.address() as AddressInfo).port;
}

interface PeerRow { peer: string; direction: string; state: string; level: string; cells: string[] }

/** The peers table as the page shows it. */
function peerRows(): PeerRow[] {
  return [...document.querySelectorAll<HTMLTableRowElement>('#peers tbody tr')].map((tr) => ({
    peer: tr.dataset['peer'] ?? '', direction: tr.dataset['direction'] ?? '', state: tr.dataset['state'] ?? '',
    level: tr.className, cells: [...tr.cells].map((td) => td.textContent ?? ''),
  }));
}

const RTT_COLUMN = 3;
const PROBLEMS_COLUMN = 9;

async function post(node: number, zone: string, body: unknown): Promise<number> {
  return (await api(ports[node]!.http, `/api/9/http/keyvals/${zone}`, { method: 'POST', body: JSON.stringify(body) })).status;
}

describe('the dashboard in a browser, on two real nodes', () => {
  it('shows each node and its peer up, with round-trip times', async () => {
    for (const [self, other] of [[0, 1], [1, 0]] as const) {
      const page = await openPage(self);
      const id = (await api(ports[self]!.http, '/api/9/zonesync')).body.node.id;
      await until(page, () => document.querySelector('#node .tile-value')?.textContent, (t) => t === String(id), `node ${self}'s id`);
      const rows = await until(page, peerRows,
        (rows) => rows.length === 2 && rows.every((r) => r.state === 'up') && rows.some((r) => r.direction === 'outbound' && /\d ms$/.test(r.cells[RTT_COLUMN]!)),
        `node ${self} shows its peer up with a round-trip time`);
      const out = rows.find((r) => r.direction === 'outbound')!;
      expect(out.peer).toBe(`127.0.0.1:${ports[other]!.sync}`);
      expect(out.cells[RTT_COLUMN]).toMatch(/^\d+ ms$/);
      expect(out.level).toBe('level-ok');
      expect(rows.find((r) => r.direction === 'inbound')!.cells[0]).toContain(`127.0.0.1:${ports[other]!.sync}`); // the peer's node name
      const online = await page.$eval('#cluster .big-figure', (e) => [(e as HTMLElement).dataset['online'], (e as HTMLElement).dataset['configured']]);
      expect(online).toEqual(['1', '1']);
    }
  });

  it('names what is wrong with a peer, by the page\'s own rules, for every kind of trouble', async () => {
    const fine = {
      address: '10.0.0.2:12345', direction: 'outbound', state: 'open', nodeId: 2, nodeName: 'b', connectedSinceMs: 1, rttMs: 3,
      lastMessageAgeMs: 20, bytesIn: 0, bytesOut: 0, lastError: null, recordsIn: 0, clockOffsetMs: 4,
      snapshot: { state: 'done', zonesDone: 1, zonesTotal: 1, records: 10, zone: null },
      recordsRefused: { future: 0, invalid: 0, noRoom: 0, skipped: 0 },
    };
    const refusedNone = fine.recordsRefused;
    const cases: [string, Record<string, unknown>, number, string, string[]][] = [
      ['a healthy link', {}, 0, 'ok', []],
      ['waiting to redial', { state: 'idle', lastError: 'connect ECONNREFUSED 10.0.0.2:12345' }, 0, 'bad', ['down']],
      ['idle before its first dial', { state: 'idle' }, 0, 'bad', ['down']],
      ['dialling for the first time', { state: 'connecting' }, 0, 'warn', ['connecting']],
      ['dialling again after a failure', { state: 'connecting', lastError: 'connect ETIMEDOUT' }, 0, 'bad', ['down']],
      ['in its HELLO exchange', { state: 'handshake' }, 0, 'warn', ['connecting']],
      ['closing', { state: 'closing' }, 0, 'warn', ['closing']],
      ['refused by TLS', { state: 'idle', lastError: 'TLS: expired: certificate verify failed (CERT_HAS_EXPIRED)' }, 0, 'bad', ['down', 'TLS refused']],
      ['a snapshot moving', { snapshot: { state: 'sending', zonesDone: 0, zonesTotal: 2, records: 5, zone: 'one' } }, 9_999, 'ok', []],
      ['a snapshot stalled', { snapshot: { state: 'receiving', zonesDone: 0, zonesTotal: -1, records: 5, zone: 'one' } }, 12_000, 'bad', ['snapshot stalled for 12 s']],
      ['a snapshot done long ago', {}, 600_000, 'ok', []],
      ['records with no room', { recordsRefused: { ...refusedNone, noRoom: 3 } }, 0, 'warn', ['3 records refused']],
      ['records from its future', { recordsRefused: { ...refusedNone, future: 1, invalid: 1 } }, 0, 'bad', ['2 records refused']],
      ['a clock a little off', { clockOffsetMs: 1_500 }, 0, 'warn', ['clock +1.5 s']],
      ['a clock past the guard', { clockOffsetMs: -70_000 }, 0, 'bad', ['clock −1 min 10 s']],
      ['a silent link', { lastMessageAgeMs: 12_000 }, 0, 'warn', ['silent for 12 s']],
    ];
    const page = pages[0]!.page;
    const judged = await page.evaluate((fine, cases) => {
      const g = globalThis as unknown as { peerFindings: (p: unknown, still: number) => { level: string; text: string }[]; worstLevel: (f: unknown) => string };
      return cases.map(([, change, still]) => {
        const findings = g.peerFindings({ ...fine, ...change }, still);
        return [g.worstLevel(findings), findings.map((f) => f.text)];
      });
    }, fine, cases);
    expect(judged).toEqual(cases.map(([, , , level, texts]) => [level, texts]));
  });

  it('formats the numbers it shows', async () => {
    const cases: [string, number, string][] = [
      ['formatBytes', 0, '0 B'], ['formatBytes', 1023, '1023 B'], ['formatBytes', 1536, '1.5 KiB'], ['formatBytes', 1 << 20, '1.0 MiB'],
      ['formatBytes', 123 * 2 ** 30, '123 GiB'],
      ['formatCount', 1234567, '1,234,567'], ['formatCount', 0.5, '0.5'],
      ['formatRate', 0, '0'], ['formatRate', 0.25, '0.3'], ['formatRate', 2, '2'], ['formatRate', 12.34, '12'], ['formatRate', 1500, '1.5k'], ['formatRate', 25_000, '25k'],
      ['formatDuration', 850, '850 ms'], ['formatDuration', 1500, '1.5 s'], ['formatDuration', 42_000, '42 s'], ['formatDuration', 60_000, '1 min'],
      ['formatDuration', 184_000, '3 min 4 s'], ['formatDuration', 3_600_000, '1 h'], ['formatDuration', 7_500_000, '2 h 5 min'], ['formatDuration', 273_600_000, '3 d 4 h'],
      ['formatOffset', -350, '−350 ms'], ['formatOffset', 1200, '+1.2 s'],
      ['niceCeiling', 0, '1'], ['niceCeiling', 0.3, '0.5'], ['niceCeiling', 7, '10'], ['niceCeiling', 23, '50'], ['niceCeiling', 100, '100'], ['niceCeiling', 101, '200'],
    ];
    const shown = await pages[0]!.page.evaluate((cases) => cases.map(([name, value]) => {
      const fn = (globalThis as unknown as Record<string, (v: number) => unknown>)[name]!;
      return String(fn(value));
    }), cases);
    expect(shown).toEqual(cases.map(([, , text]) => text));
  });

  it('draws every point of a chart inside its plot, whatever the values and times', async () => {
    const width = 400;
    const height = 150;
    const series = fc.array(fc.tuple(fc.integer({ min: 0, max: 400_000 }), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true }))), { maxLength: 40 });
    const samples = fc.sample(fc.array(series, { minLength: 1, maxLength: 3 }), 60);
    const outside = await pages[0]!.page.evaluate((samples, width, height) => {
      const nowMs = 1_000_000;
      const problems: string[] = [];
      for (const lines of samples) {
        const chartLines = lines.map((points, i) => {
          const s = new Series();
          for (const [ago, value] of [...points].sort((a, b) => b[0] - a[0])) s.push(nowMs - ago, value);
          return { label: `l${i}`, className: 'line-a', series: s };
        });
        const svg = lineChart({ lines: chartLines, width, height, nowMs, format: String, label: 'test' });
        for (const line of svg.querySelectorAll('polyline')) {
          for (const point of (line.getAttribute('points') ?? '').split(' ')) {
            const [x, y] = point.split(',').map(Number) as [number, number];
            if (!(x >= 0 && x <= width && y >= 0 && y <= height)) problems.push(`${point} of ${JSON.stringify(lines)}`);
          }
        }
      }
      return problems;
    }, samples, width, height);
    expect(outside).toEqual([]);
  });

  it('tells a snapshot that stopped moving from one that moves', async () => {
    const still = await pages[0]!.page.evaluate(() => {
      const watch = new SnapshotWatch();
      const peer = (records: number) => ({ address: 'a:1', direction: 'inbound', snapshot: { records } });
      return [
        watch.update([peer(10)], 0).get('inbound a:1'),
        watch.update([peer(20)], 5_000).get('inbound a:1'),
        watch.update([peer(20)], 17_000).get('inbound a:1'),
        watch.update([], 18_000).size,
        watch.update([peer(20)], 19_000).get('inbound a:1'), // a new connection starts afresh
      ];
    });
    expect(still).toEqual([0, 0, 12_000, 0, 0]);
  });

  it('shows a key that holds markup as text, and nothing in it runs', async () => {
    const key = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
    const value = '<b onmouseover="window.__xss=3">bold</b>';
    expect(await post(0, 'one', { [key]: value })).toBe(201);
    const page = pages[1]!.page; // node B's page: the key came through the sync
    await until(page, () => document.querySelector('#zones tr[data-zone="one"] button') !== null, (b) => b, 'the zone "one" row with its keys button');
    await page.click('#zones tr[data-zone="one"] button');
    const cells = await until(page, () => [...document.querySelectorAll('#keys tbody td')].map((td) => ({ text: td.textContent, elements: td.childElementCount })),
      (c) => c.length === 2, 'the key of zone "one"');
    expect(cells).toEqual([{ text: key, elements: 0 }, { text: value, elements: 0 }]);
    expect(await page.evaluate(() => document.querySelectorAll('#keys img, #keys script, #keys b').length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  });

  it('highlights a peer whose clock runs an hour ahead, and the records it refused', async () => {
    const hourAhead = () => Date.now() + HOUR_MS;
    const skewed = await RawPeer.open(`127.0.0.1:${ports[0]!.sync}`);
    cleanups.push(() => skewed.destroy());
    skewed.send(helloFrame(0x5ce4, 'skewed', [{ name: 'one', moduleTag: 1, moduleVersion: 1 }], hourAhead()));
    skewed.send(keyvalFrame('one', 'k', 'from the future', 0x5ce4, hourAhead()));
    // It keeps its connection with PINGs stamped by its clock.
    const pings = setInterval(() => {
      const w = new FrameWriter(new Uint8Array(64));
      w.writePing(hourAhead(), 1);
      skewed.send(w.written().slice());
    }, 500);
    cleanups.push(() => clearInterval(pings));
    const row = await until(pages[0]!.page, peerRows, (rows) => rows.some((r) => r.cells[0]!.includes('skewed') && r.cells[PROBLEMS_COLUMN]!.includes('refused')),
      'the skewed peer with its refused record');
    const skewedRow = (row as PeerRow[]).find((r) => r.cells[0]!.includes('skewed'))!;
    expect(skewedRow.level).toBe('level-bad');
    expect(skewedRow.cells[PROBLEMS_COLUMN]).toMatch(/clock \+(59 min|1 h)/);
    expect(skewedRow.cells[PROBLEMS_COLUMN]).toContain('1 record refused');
    expect(skewedRow.cells[8]).toBe('1 future');
  });

  it('charts the rejected requests of a limit_req zone; a screenshot under load', async () => {
    const page = pages[0]!.page;
    let rejected = 0;
    let users = 0;
    const delayed: Promise<unknown>[] = []; // answered late by design: not waited for in the loop
    const load = async (seconds: number) => {
      for (let s = 0; s < seconds * 4; s++) {
        delayed.push(fetch(`http://127.0.0.1:${ports[0]!.http}/delayed`).then((r) => r.text()));
        const answers = await Promise.all(Array.from({ length: s % 8 < 4 ? 6 : 2 }, () => fetch(`http://127.0.0.1:${ports[0]!.http}/limited`)));
        rejected += answers.filter((a) => a.status === 503).length;
        const user = users++;
        expect(await post(user % 2, 'one', { [`user:${user}`]: `session ${user}` })).toBe(201);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await load(3);
    expect(rejected).toBeGreaterThan(0);
    const chart = await until(page, () => {
      const card = document.querySelector(`#limits [data-limit-zone]`);
      const line = card?.querySelector('polyline.line-bad');
      const grid = [...(card?.querySelectorAll('line.grid') ?? [])].map((l) => Number(l.getAttribute('y1')));
      const ys = (line?.getAttribute('points') ?? '').split(' ').filter((p) => p !== '').map((p) => Number(p.split(',')[1]));
      return { zone: card?.getAttribute('data-limit-zone'), legend: card?.querySelector('.legend')?.textContent, baseline: Math.max(...grid), ys, note: document.querySelector('#limits .note')?.textContent };
    }, (c) => c.ys.some((y) => y < c.baseline - 1), 'a rejected rate above zero in the limit_req chart');
    expect(chart.zone).toBe(LIMIT_ZONE);
    expect(chart.legend).toMatch(/rejected \d/);
    await load(6);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    // The whole page in the viewport (a full-page capture of a page that redraws every second can cut its end).
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewport({ width: 1280, height });
    await page.waitForFunction((h) => document.documentElement.scrollHeight <= h, {}, height);
    await page.screenshot({ path: SCREENSHOT as `${string}.png` });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
    await Promise.all(delayed);
  }, 60_000);

  it('says that the optional endpoints an API lacks are missing, and shows the rest', async () => {
    // A node that has no /http/limit_reqs/ (an older one): a real node behind a proxy that hides that endpoint.
    const proxy = await proxyTo(ports[0]!.http, (path) => (path.startsWith('/api/9/http/limit_reqs') ? 'missing' : 'pass'));
    const { page, errors } = await browser.open(`http://127.0.0.1:${proxy}/dashboard.html`);
    pages.push({ page, errors });
    const note = await until(page, () => document.querySelector('#limits .note')?.textContent ?? '', (t) => t !== '', 'the limit_req note');
    expect(note).toContain('has no /http/limit_reqs/');
    expect(await page.$$eval('#zones tbody tr', (rows) => rows.length)).toBe(2);
    expect(await page.$eval('#banner', (b) => (b as HTMLElement).hidden)).toBe(true);
    await page.close();
  });

  it('says so while the node\'s answer is late, and waits for it', async () => {
    // The node's status is answered for a while, then held: a node that hangs.
    let hold = false;
    const proxy = await proxyTo(ports[0]!.http, (path) => (hold && path.startsWith('/api/9/zonesync') ? 'hang' : 'pass'));
    const { page, errors } = await browser.open(`http://127.0.0.1:${proxy}/dashboard.html`);
    pages.push({ page, errors });
    await until(page, () => document.querySelectorAll('#zones tbody tr').length, (n) => n === 2, 'the zones, before the node hangs');
    hold = true;
    const banner = await until(page, () => (document.querySelector('#banner') as HTMLElement).hidden ? '' : document.querySelector('#banner')!.textContent, (t) => t !== '', 'the banner');
    expect(banner).toMatch(/^No answer from the node's API at \/api\/ for \d+(\.\d)? s: .* Still waiting\.$/);
    expect(await page.$eval('#main', (m) => m.className)).toBe('stale');
    await page.close();
  });

  it('turns the row of a node that stops to down within seconds', async () => {
    const page = pages[0]!.page;
    await nodes[1]!.stop();
    const rows = await until(page, peerRows, (rows) => rows.some((r) => r.peer === `127.0.0.1:${ports[1]!.sync}` && r.state === 'down'), 'the stopped node\'s row down');
    const down = rows.find((r) => r.peer === `127.0.0.1:${ports[1]!.sync}`)!;
    expect(down.level).toBe('level-bad');
    expect(down.cells[RTT_COLUMN]).toBe('—');
    await until(page, peerRows, (rows) => !rows.some((r) => r.direction === 'inbound' && r.cells[0]!.includes(`:${ports[1]!.sync}`)), 'the stopped node\'s inbound connection gone');
    await until(page, () => document.querySelector('#cluster .big-figure')?.className, (c) => c === 'big-figure bad', 'no node online');
  });

  it('says so when the API refuses the browser', async () => {
    const page = await openPage(0, '/closed/');
    const banner = await until(page, () => (document.querySelector('#banner') as HTMLElement).hidden ? '' : document.querySelector('#banner')!.textContent, (t) => t !== '', 'the banner');
    expect(banner).toContain('The API at /closed-api/ refused this browser (403 Forbidden');
    expect(await page.$$eval('#peers table, #zones table', (t) => t.length)).toBe(0);
  });

  // Before any page of this browser has the credentials: it would then send them to the API too.
  it('says so when the API asks for credentials the browser does not have', async () => {
    // The user gives a wrong password when the browser asks, then cancels.
    const { page, errors } = await browser.open('about:blank');
    pages.push({ page, errors });
    await page.authenticate({ username: USER.username, password: 'wrong' });
    await page.goto(`http://127.0.0.1:${ports[0]!.http}/open-auth/`);
    const banner = await until(page, () => (document.querySelector('#banner') as HTMLElement).hidden ? '' : document.querySelector('#banner')!.textContent, (t) => t !== '', 'the banner');
    expect(banner).toContain('The API at /auth-api/ refused this browser (401 Unauthorized');
  });

  it('reads an API behind basic auth with the credentials the browser was given for the page', async () => {
    const { page, errors } = await browser.open('about:blank');
    pages.push({ page, errors });
    await page.authenticate(USER);
    await page.goto(`http://127.0.0.1:${ports[0]!.http}/auth/`);
    const id = (await api(ports[0]!.http, '/api/9/zonesync')).body.node.id;
    await until(page, () => document.querySelector('#node .tile-value')?.textContent, (t) => t === String(id), 'the node\'s id, read through the API\'s basic auth');
    expect(await page.$eval('#banner', (b) => (b as HTMLElement).hidden)).toBe(true);
  });

  it('keeps the last figures, dimmed, and says the node is unreachable when it stops', async () => {
    const page = pages[0]!.page;
    await nodes[0]!.stop();
    const banner = await until(page, () => (document.querySelector('#banner') as HTMLElement).hidden ? '' : document.querySelector('#banner')!.textContent, (t) => t !== '', 'the banner');
    expect(banner).toMatch(/^Cannot reach the node's API at \/api\/: .+\. Retrying every second\.$/);
    expect(await page.$eval('#main', (m) => m.className)).toBe('stale');
    expect(await page.$$eval('#zones tbody tr', (rows) => rows.length)).toBe(2);
    expect(await page.$eval('#freshness', (f) => f.textContent)).toMatch(/^stale: last read \d\d:\d\d:\d\d$/);
  });

  it('ran without a script error or a content-security-policy violation on any page', () => {
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
  });
});
