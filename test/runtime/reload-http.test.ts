// HUP on a running node under light traffic, on both paths (worker threads that serve HTTP,
// and the primary thread that serves with a worker pool): each case changes one part of the
// http block, reloads, and checks with real requests (on fresh connections, which the kernel
// spreads over the serving threads) that every thread serves the new configuration; a
// refused or broken configuration changes nothing. Real upstream servers on 127.0.0.1.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { NodeProcess, api, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';
import { reloadConfig, writeReloadHandler, type ReloadShape } from './reload-http-config.js';
import { answerOf, appliedGeneration, fresh, freshMany, type Answer } from './worker-serving-helpers.js';
import { rawExchange } from './raw-http.js';
import { SERVING_PATHS } from '../gateway/serving-paths.js';
import { TestUpstream, type UpstreamBehaviour } from '../gateway/test-upstream.js';

const echo: UpstreamBehaviour = (req, res, upstream) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ server: upstream.name, headers: req.headers }));
};

/** Holds every answer until released. */
const held: Array<() => void> = [];
const slowBehaviour: UpstreamBehaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  held.push(() => res.end('slow answer\n'));
};

/** Sequential requests to `/` (proxied) on fresh connections until stopped: what did not answer 200. */
function steadyTraffic(port: number): { stop: () => Promise<{ requests: number; failures: string[] }> } {
  let running = true;
  let requests = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      requests++;
      await fresh(port, '/').then((a) => { if (a.status !== 200) failures.push(`${a.status} ${a.body}`); }, (e: Error) => { failures.push(e.message); });
    }
  })();
  return { stop: async () => { running = false; await loop; return { requests, failures }; } };
}

describe.each(SERVING_PATHS)('HUP, $name', ({ node: nodeBinary, args }) => {
  let a: TestUpstream, b: TestUpstream, c: TestUpstream, slow: TestUpstream;
  let node: NodeProcess;
  let conf: string;
  let port: number;
  let handler: string;
  let cleanup: () => void;
  let logDir: string;
  let inForce = '';
  let clientIds = 0;

  const base = (): ReloadShape => ({
    servers: [a.address, b.address], realIp: 'base', fixedText: 'old', guarded: 'allow 127.0.0.1;', limited: '', locations: '', http: '',
    moreServers: '', oneSize: '1m',
  });
  /**
   * A case's shape as written ("b weight=5" names upstream server b; HANDLER the handler
   * module), with the real addresses.
   */
  const resolved = (shape: Partial<ReloadShape>): Partial<ReloadShape> => {
    const address: Record<string, string> = { a: a.address, b: b.address, c: c.address };
    return {
      ...shape,
      ...(shape.servers === undefined ? {} : { servers: shape.servers.map((line) => line.replace(/^[abc]\b/, (name) => address[name]!)) }),
      ...(shape.locations === undefined ? {} : { locations: shape.locations.replace('HANDLER', handler) }),
    };
  };
  const textOf = (shape: Partial<ReloadShape>): string => reloadConfig(port, slow.address, { ...base(), ...resolved(shape) });

  const generation = (): Promise<number> => appliedGeneration(port);
  const occurrences = (re: RegExp): number => node.output.match(new RegExp(re.source, 'g'))?.length ?? 0;

  /** Writes the configuration and HUPs; resolves once a thread answering the API applied it. */
  async function reload(shape: Partial<ReloadShape>): Promise<void> {
    const before = await generation();
    inForce = textOf(shape);
    writeFileSync(conf, inForce);
    node.signal('SIGHUP');
    await waitFor(async () => (await generation()) > before, 10_000, () => `the reload was not applied:\n${node.output.slice(-3000)}`);
  }

  /** Writes the configuration and HUPs, expecting the node to keep the old one and log `why`. */
  async function reloadRejected(text: string, why: RegExp): Promise<void> {
    const before = await generation();
    const logged = occurrences(why);
    writeFileSync(conf, text);
    node.signal('SIGHUP');
    await waitFor(() => occurrences(why) > logged, 10_000, () => `no ${why} logged:\n${node.output.slice(-3000)}`);
    expect(await generation()).toBe(before);
  }

  /** `n` requests with Host `host` on fresh connections: every one of them must pass `ok`. */
  const allFor = async (host: string, n: number, ok: (r: Answer) => boolean): Promise<boolean> => {
    const answers = await Promise.all(Array.from({ length: n }, () => new Promise<Answer>((done, fail) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(answerOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers)));
      }).on('error', fail);
    })));
    return answers.every(ok);
  };
  /** `n` requests on fresh connections: every one of them must pass `ok`. */
  const all = async (path: string, n: number, ok: (r: Answer) => boolean): Promise<boolean> =>
    (await freshMany(port, Array.from({ length: n }, () => path), 4)).every(ok);
  const proxied = (r: Answer): boolean => r.status === 200 && typeof r.json?.server === 'string';
  /**
   * How many requests each upstream server got while `n` requests went to `/` (the steady
   * traffic's included: they share the balancer); null when one of the `n` failed.
   */
  const servedBy = async (n: number): Promise<{ a: number; b: number; c: number } | null> => {
    const before = [a, b, c].map((u) => u.seen.length);
    const answers = await freshMany(port, Array.from({ length: n }, () => '/'), 4);
    const [byA, byB, byC] = [a, b, c].map((u, i) => u.seen.length - before[i]!);
    return answers.every(proxied) ? { a: byA!, b: byB!, c: byC! } : null;
  };
  /**
   * Three GETs of /fixed sent at once on each of 6 new connections (spread over the threads):
   * every connection has the answers' Connection and Keep-Alive fields `expected` says, and
   * was closed by the server after its last answer or not.
   */
  const keptAlive = async (expected: { connection: string[]; keepAlive: string[]; closed: boolean }): Promise<boolean> => {
    const exchanges = await Promise.all(Array.from({ length: 6 }, () => rawExchange(port, 'GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3), { responses: 3 })));
    return exchanges.every((e) => e.closedByServer === expected.closed
      && JSON.stringify(e.responses.map((r) => r.headers['connection'])) === JSON.stringify(expected.connection)
      && JSON.stringify(e.responses.map((r) => r.headers['keep-alive'] ?? '(none)')) === JSON.stringify(expected.keepAlive));
  };
  const peers = async (): Promise<Array<{ server: string; weight: number; state: string; requests: number }>> => (await fresh(port, '/api/9/http/upstreams/backend')).json.peers;
  /** How many of `n` requests of one new client to /limited pass limit_req (in order; the rest get 503). */
  const limitedPasses = async (n: number): Promise<number> => {
    const client = `client-${++clientIds}`;
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      statuses.push(await fetch(`http://127.0.0.1:${port}/limited`, { headers: { 'x-client': client } }).then(async (r) => { await r.arrayBuffer(); return r.status; }));
    }
    const passed = statuses.filter((s) => s === 200).length;
    return statuses.every((s, i) => s === (i < passed ? 200 : 503)) ? passed : -1;
  };

  beforeAll(async () => {
    const binary = nodeBinary();
    [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => TestUpstream.start(name, echo)));
    slow = await TestUpstream.start('slow', slowBehaviour);
    const t = tempDir();
    cleanup = t.cleanup;
    logDir = t.dir;
    handler = writeReloadHandler(t.dir);
    port = (await freePorts(1))[0]!;
    inForce = textOf({});
    conf = writeConfig(t.dir, 'node.conf', inForce);
    node = new NodeProcess(conf, [...args], binary);
    await node.ready();
    await api(port, '/api/9/http/keyvals/one', { method: 'POST', body: JSON.stringify({ 'the-key': 'from-the-zone' }) });
  }, 300_000);

  afterAll(async () => {
    held.splice(0).forEach((release) => release());
    await node?.stop();
    await Promise.all([a, b, c, slow].map((u) => u?.close()));
    cleanup?.();
  });

  // Back to the base configuration after each case (itself a reload).
  afterEach(async () => {
    if (inForce !== textOf({})) await reload({});
  });

  /**
   * Each case: `from` (reloaded first, when given) and `to`; `check(phase)` is true when
   * requests are served as the configuration of that phase says.
   */
  const CASES: Array<{ name: string; from?: Partial<ReloadShape>; to: Partial<ReloadShape>; check: (phase: 'before' | 'after') => Promise<boolean> }> = [
    {
      name: 'a new location with return',
      to: { locations: 'location /new { return 200 "new\\n"; }' },
      check: (phase) => all('/new', 8, (r) => (phase === 'after' ? r.body === 'new\n' : proxied(r))),
    },
    {
      name: 'a changed return text',
      to: { fixedText: 'changed' },
      check: (phase) => all('/fixed', 8, (r) => r.body === (phase === 'after' ? 'changed\n' : 'old\n')),
    },
    {
      name: 'proxy_set_header changed',
      to: { realIp: 'changed' },
      check: (phase) => all('/', 8, (r) => r.json?.headers['x-real-ip'] === (phase === 'after' ? 'changed' : 'base')),
    },
    {
      name: 'an upstream server\'s weight changed: the split follows, the API shows it',
      to: { servers: ['a', 'b weight=5'] },
      check: async (phase) => {
        const by = await servedBy(60);
        if (by === null) return false;
        const share = by.b / (by.a + by.b);
        const weight = (await peers())[1]!.weight;
        return phase === 'after' ? share >= 0.75 && weight === 5 : share >= 0.35 && share <= 0.65 && weight === 1;
      },
    },
    {
      name: 'a server added to an upstream',
      to: { servers: ['a', 'b', 'c'] },
      check: async (phase) => {
        const by = await servedBy(30);
        return by !== null && (phase === 'after' ? by.c > 0 && (await peers()).length === 3 : by.c === 0);
      },
    },
    {
      name: 'a server removed from an upstream',
      to: { servers: ['a'] },
      check: async (phase) => {
        const by = await servedBy(20);
        return by !== null && (phase === 'after' ? by.b === 0 && (await peers()).length === 1 : by.b > 0);
      },
    },
    {
      name: 'a server marked down',
      to: { servers: ['a', 'b down'] },
      check: async (phase) => {
        const by = await servedBy(20);
        return by !== null && (phase === 'after' ? by.b === 0 && (await peers())[1]!.state === 'down' : by.b > 0);
      },
    },
    {
      name: 'allow/deny widened: 403 becomes 200',
      from: { guarded: 'deny all;' },
      to: { guarded: 'allow 127.0.0.0/8; deny all;' },
      check: (phase) => all('/guarded/9/nginx', 8, (r) => r.status === (phase === 'after' ? 200 : 403)),
    },
    {
      name: 'allow/deny narrowed: 200 becomes 403',
      to: { guarded: 'deny all;' },
      check: (phase) => all('/guarded/9/nginx', 8, (r) => r.status === (phase === 'after' ? 403 : 200)),
    },
    {
      name: 'limit_req added to a location',
      to: { limited: 'limit_req zone=perclient burst=2 nodelay;' },
      check: async (phase) => (await limitedPasses(6)) === (phase === 'after' ? 3 : 6),
    },
    {
      name: 'limit_req\'s burst changed',
      from: { limited: 'limit_req zone=perclient burst=1 nodelay;' },
      to: { limited: 'limit_req zone=perclient burst=4 nodelay;' },
      check: async (phase) => (await limitedPasses(7)) === (phase === 'after' ? 5 : 2),
    },
    {
      name: 'a handler location added',
      to: { locations: 'location /app { zonesync_handler HANDLER; }' },
      check: (phase) => all('/app', 8, (r) => (phase === 'after' ? r.body === 'handled 2\n' : proxied(r))),
    },
    {
      name: 'a server block added on a socket already listened on',
      to: { moreServers: 'server { listen 127.0.0.1:PORT; server_name other.test; location / { return 200 "other\n"; } }' },
      check: (phase) => allFor('other.test', 8, (r) => (phase === 'after' ? r.body === 'other\n' : proxied(r))),
    },
    {
      name: 'a keyval directive and a location reading its variable',
      to: { http: 'keyval $arg_k $kv zone=one;', locations: 'location /kv { return 200 "kv=$kv\\n"; }' },
      check: (phase) => all('/kv?k=the-key', 8, (r) => (phase === 'after' ? r.body === 'kv=from-the-zone\n' : proxied(r))),
    },
    {
      name: 'add_header changed: the new field on returned and proxied answers',
      from: { http: 'add_header X-Reloaded "one";' },
      to: { http: 'add_header X-Reloaded "two";' },
      check: async (phase) => {
        const value = phase === 'after' ? 'two' : 'one';
        const answers = await freshMany(port, Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? '/fixed' : '/')), 4);
        return answers.every((r) => r.status === 200 && r.headers['x-reloaded'] === value);
      },
    },
    {
      name: 'keepalive_requests and keepalive_timeout\'s Keep-Alive field changed: kept-alive connections end at the new count',
      from: { http: 'keepalive_requests 4;' },
      to: { http: 'keepalive_requests 2; keepalive_timeout 30s 20s;' },
      check: (phase) => keptAlive(phase === 'after'
        ? { connection: ['keep-alive', 'close'], keepAlive: ['timeout=20', '(none)'], closed: true }
        : { connection: ['keep-alive', 'keep-alive', 'keep-alive'], keepAlive: ['(none)', '(none)', '(none)'], closed: false }),
    },
    {
      name: 'server_tokens off: the Server field loses the version',
      to: { http: 'server_tokens off;' },
      check: async (phase) => {
        const answers = await freshMany(port, Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? '/fixed' : '/api/9/nginx')), 4);
        return answers.every((r) => r.status === 200 && (phase === 'after' ? r.headers.server === 'zonesync' : /^zonesync\/\d/.test(r.headers.server ?? '')));
      },
    },
  ];

  it.each(CASES)('$name', async ({ from, to, check }) => {
    const traffic = steadyTraffic(port);
    if (from !== undefined) {
      await reload(from);
      await waitFor(() => check('before'), 10_000, () => 'the starting configuration is not served');
    } else {
      expect(await check('before')).toBe(true);
    }
    await reload(to);
    await waitFor(() => check('after'), 10_000, () => `the reloaded configuration is not served by every thread:\n${node.output.slice(-2000)}`);
    const { requests, failures } = await traffic.stop();
    expect(failures, `${failures.length} of ${requests} requests to / failed`).toEqual([]);
  });

  it('a refused change (a zone\'s size) keeps everything old and logs why', async () => {
    const traffic = steadyTraffic(port);
    const changed = textOf({ oneSize: '2m', fixedText: 'changed', locations: 'location /new { return 200 "new\\n"; }' });
    await reloadRejected(changed, /configuration reload refused/);
    expect(node.output).toContain('zone \\"one\\": size 1m -> 2m needs a restart');
    expect(await all('/fixed', 8, (r) => r.body === 'old\n')).toBe(true);
    expect(await all('/new', 8, proxied)).toBe(true);
    expect((await traffic.stop()).failures).toEqual([]);
  });

  it('a reload with a syntax error keeps everything old', async () => {
    const traffic = steadyTraffic(port);
    const broken = textOf({ fixedText: 'changed', locations: 'location /new { return 200 "new\\n"; } location {' });
    await reloadRejected(broken, /configuration reload failed/);
    expect(await all('/fixed', 8, (r) => r.body === 'old\n')).toBe(true);
    expect(await all('/new', 8, proxied)).toBe(true);
    expect((await traffic.stop()).failures).toEqual([]);
  });

  it('a reload naming a proxy_ssl file that cannot be loaded keeps everything old', async () => {
    const traffic = steadyTraffic(port);
    const tls = 'location /tls { proxy_pass https://backend; proxy_ssl_verify on; proxy_ssl_trusted_certificate /nonexistent/ca.pem; }';
    await reloadRejected(textOf({ fixedText: 'changed', locations: tls }), /configuration reload failed/);
    expect(await all('/fixed', 8, (r) => r.body === 'old\n')).toBe(true);
    expect((await traffic.stop()).failures).toEqual([]);
  });

  it('access_log added, then moved to another file and format: each reload opens its files, every thread writes to them', async () => {
    const first = join(logDir, 'new-dir', 'first.log');
    const second = join(logDir, 'second.log');
    const linesOf = (path: string): string[] => {
      try { return readFileSync(path, 'utf8').split('\n').filter((l) => l !== ''); } catch { return []; }
    };
    let mark = 0;
    /** Requests with marks on fresh connections (spread over the threads); resolves with the marks. */
    const marked = async (n: number): Promise<string[]> => {
      const marks = Array.from({ length: n }, () => `m${++mark}x`);
      expect((await freshMany(port, marks.map((m) => `/fixed?${m}`), 4)).every((r) => r.status === 200)).toBe(true);
      return marks;
    };
    const logged = (path: string, marks: readonly string[]): boolean => marks.every((m) => linesOf(path).some((l) => l.includes(m)));

    await reload({ http: `log_format reloaded '$request_uri $status'; access_log ${first} combined;` });
    const toFirst = await marked(16);
    await waitFor(() => logged(first, toFirst), 10_000, () => `not every request is in ${first}:\n${linesOf(first).join('\n')}`);
    // combined (the API requests that watch the reload are logged too)
    expect(linesOf(first).filter((l) => toFirst.some((m) => l.includes(m))).every((l) => /"GET \/fixed\?m\d+x HTTP\/1\.1" 200 /.test(l))).toBe(true);

    await reload({ http: `log_format reloaded '$request_uri $status'; access_log ${second} reloaded;` });
    const toSecond = await marked(16);
    await waitFor(() => logged(second, toSecond), 10_000, () => `not every request is in ${second}:\n${linesOf(second).join('\n')}`);
    expect(linesOf(second).filter((l) => toSecond.some((m) => l.includes(m))).every((l) => /^\/fixed\?m\d+x 200$/.test(l))).toBe(true);
    expect(toSecond.some((m) => linesOf(first).some((l) => l.includes(m)))).toBe(false);
  });

  it('a reload naming an access_log file that cannot be opened keeps everything old', async () => {
    const traffic = steadyTraffic(port);
    // A directory under a regular file cannot be made.
    await reloadRejected(textOf({ fixedText: 'changed', http: `access_log ${join(conf, 'sub', 'access.log')};` }), /configuration reload failed/);
    expect(node.output).toMatch(/ENOTDIR/);
    expect(await all('/fixed', 8, (r) => r.body === 'old\n')).toBe(true);
    expect((await traffic.stop()).failures).toEqual([]);
  });

  it('requests in flight across a reload complete, on the old configuration', async () => {
    const inFlight = Array.from({ length: 4 }, () => fresh(port, '/slow'));
    await waitFor(() => held.length === 4, 10_000, () => `the slow upstream got ${held.length} of 4 requests`);
    await reload({ locations: 'location = /slow { return 200 "new slow\\n"; }' });
    await waitFor(() => all('/slow', 8, (r) => r.body === 'new slow\n'), 10_000, () => 'the reloaded /slow is not served');
    held.splice(0).forEach((release) => release());
    const answers = await Promise.all(inFlight);
    expect(answers.map((r) => `${r.status} ${r.body}`)).toEqual(Array(4).fill('200 slow answer\n'));
  });

  it('a thread started after a reload (a replacement) serves the reloaded configuration', async () => {
    await reload({ servers: ['a', 'b', 'c'], fixedText: 'changed', locations: 'location /app { zonesync_handler HANDLER; }' });
    const reloaded = (): Promise<boolean> => Promise.all([
      all('/app', 12, (r) => r.body === 'handled 3\n'), all('/fixed', 12, (r) => r.body === 'changed\n'),
    ]).then((oks) => oks.every(Boolean));
    await waitFor(reloaded, 10_000, () => 'the reload is not served');
    const deaths = occurrences(/worker thread exited/);
    await fresh(port, '/app/die').catch(() => undefined);
    await waitFor(() => occurrences(/worker thread exited/) > deaths, 10_000, () => `no worker thread died:\n${node.output.slice(-2000)}`);
    await waitFor(() => /worker thread replaced/.test(node.output) || !/(each serving HTTP|serving HTTP itself);/.test(node.output), 10_000, () => 'no replacement');
    // Enough fresh connections that the replacement takes some.
    expect(await all('/app', 24, (r) => r.body === 'handled 3\n')).toBe(true);
    expect(await all('/fixed', 24, (r) => r.body === 'changed\n')).toBe(true);
  });
});
