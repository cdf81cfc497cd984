// HUP that changes a zone's parameters, on both serving paths (worker threads that serve
// HTTP, and the primary serving with a worker pool), a real node process each: what nginx
// applies with the zone's memory kept (a limit_req zone's rate, sticky learn's lookup=)
// applies in every serving thread, the buckets kept; what needs new memory or is read at
// start (size, a limit_req key, a timeout, a counter window) refuses the whole reload, the
// log naming the parameter and both values, the generation and the old rate kept.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, freePorts, tempDir, waitFor, writeConfig } from './cluster-helpers.js';
import { appliedGeneration } from './worker-serving-helpers.js';
import { SERVING_PATHS } from '../gateway/serving-paths.js';

/** What a case changes: the parameters of the node's zones as written. */
interface ZoneShape {
  rate: string;
  size: string;
  key: string;
  kvTimeout: string;
  stickyTimeout: string;
  stickyLookup: string;
  window: string;
}

const BASE: ZoneShape = {
  rate: '1r/m', size: '1m', key: '$http_x_client', kvTimeout: '1h', stickyTimeout: '1h', stickyLookup: '$cookie_s', window: '10s',
};
/** limit_req's burst in /limited: a new key admits BURST + 1 at once. */
const BURST = 5;

function configOf(port: number, s: ZoneShape): string {
  return `worker_processes 2;
http {
    limit_req_zone ${s.key} zone=z0:${s.size} rate=${s.rate};
    keyval_zone zone=kv:1m timeout=${s.kvTimeout};
    zonesync_counter_zone zone=hits:1m window=${s.window};
    upstream backend {
        zone backend 64k;
        server 127.0.0.1:9;
        sticky learn create=$upstream_cookie_s lookup=${s.stickyLookup} zone=st:1m timeout=${s.stickyTimeout};
    }
    server {
        listen 127.0.0.1:${port};
        location /api { api write=on; }
        location /limited { limit_req zone=z0 burst=${BURST} nodelay; zonesync_health live; }
    }
}
`;
}

/** A rate as requests per second. */
function perSecond(rate: string): number {
  const requests = Number(rate.slice(0, -3));
  return rate.endsWith('r/m') ? requests / 60 : requests;
}

/** One request to /limited as client `client`, on a connection of its own (the kernel spreads them over the serving threads). */
function limited(port: number, client: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/limited', agent: false, headers: { 'x-client': client } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** Requests a window holds at least, however slowly the machine lets the client send them. */
const MIN_SENT = 40;

/**
 * A new client's requests to /limited, 4 at a time, for at least a second and at least
 * MIN_SENT of them: how many were admitted, and the window's length as measured. The length
 * is never compared with a time: the bounds on admissions are the rate times it, so a slow
 * window only widens them, and the floor of requests keeps the comparison with a slower rate
 * meaningful on a starved machine.
 */
async function admittedOverWindow(port: number, client: string): Promise<{ admitted: number; sent: number; seconds: number; other: number[] }> {
  const started = performance.now();
  let admitted = 0;
  let sent = 0;
  const other: number[] = [];
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() - started < 1_000 || sent < MIN_SENT) {
      sent++;
      const status = await limited(port, client);
      if (status === 200) admitted++;
      else if (status !== 503) other.push(status);
    }
  }));
  return { admitted, sent, seconds: (performance.now() - started) / 1000, other };
}

/**
 * The bucket of a new key admits BURST + 1 at once and then `rate` a second: over `seconds`
 * at most this many (one more for a drain that rounds up at either end).
 */
const mostAdmitted = (rate: string, seconds: number): number => BURST + 1 + Math.ceil(perSecond(rate) * seconds) + 1;

describe.each(SERVING_PATHS)('HUP of zone parameters, $name', ({ node: nodeBinary, args }) => {
  let node: NodeProcess;
  let conf: string;
  let port: number;
  let cleanup: () => void;
  let inForce: ZoneShape = BASE;
  let clients = 0;

  const generation = (): Promise<number> => appliedGeneration(port);
  const occurrences = (text: string): number => node.output.split(text).length - 1;
  const newClient = (): string => `client-${++clients}`;

  /** Writes `shape` and HUPs; resolves once the API shows the next generation. */
  async function reload(shape: ZoneShape): Promise<void> {
    const before = await generation();
    writeFileSync(conf, configOf(port, shape));
    inForce = shape;
    node.signal('SIGHUP');
    await waitFor(async () => (await generation()) > before, 10_000, () => `the reload was not applied:\n${node.output.slice(-3000)}`);
  }

  /** Writes `shape` and HUPs, expecting the refusal to log `why` (as the JSON log writes it) and the generation to stay. */
  async function reloadRefused(shape: ZoneShape, why: string): Promise<void> {
    const before = await generation();
    const logged = occurrences(why);
    writeFileSync(conf, configOf(port, shape));
    node.signal('SIGHUP');
    await waitFor(() => occurrences(why) > logged, 10_000, () => `no ${why} logged:\n${node.output.slice(-3000)}`);
    expect(await generation()).toBe(before);
  }

  /** A new client's admissions over a window follow `rate`: never more than it allows, and (`slower` given) more than `slower` allows. */
  async function expectRate(rate: string, slower?: string): Promise<void> {
    const w = await admittedOverWindow(port, newClient());
    const what = `${w.admitted} of ${w.sent} admitted in ${w.seconds.toFixed(2)} s at ${rate}`;
    expect(w.other, what).toEqual([]);
    expect(w.admitted, what).toBeLessThanOrEqual(mostAdmitted(rate, w.seconds));
    // Admitted at once: the burst, whatever the rate.
    expect(w.admitted, what).toBeGreaterThanOrEqual(Math.min(w.sent, BURST + 1));
    if (slower !== undefined) expect(w.admitted, what).toBeGreaterThan(mostAdmitted(slower, w.seconds));
  }

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    port = (await freePorts(1))[0]!;
    conf = writeConfig(t.dir, 'node.conf', configOf(port, BASE));
    node = new NodeProcess(conf, [...args], nodeBinary());
    await node.ready();
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    cleanup?.();
  });

  // Back to the base configuration after each case (itself a reload).
  afterEach(async () => {
    if (JSON.stringify(inForce) !== JSON.stringify(BASE)) await reload(BASE);
  });

  it('rate 1r/m -> 50r/s: every serving thread admits at the new rate', async () => {
    await expectRate('1r/m');
    await reload({ ...BASE, rate: '50r/s' });
    await expectRate('50r/s', '1r/m');
    // And back: the slow rate again.
    await reload(BASE);
    await expectRate('1r/m');
  });

  it('rate 1r/m -> 2r/m: the buckets are kept (a full one stays full), new keys get the burst', async () => {
    const client = newClient();
    const before: number[] = [];
    for (let i = 0; i < BURST + 3; i++) before.push(await limited(port, client));
    expect(before).toEqual([...Array<number>(BURST + 1).fill(200), 503, 503]);
    await reload({ ...BASE, rate: '2r/m' });
    // A new zone would admit this client again; the kept bucket holds BURST + 1 and drains one in 30 s.
    expect(await limited(port, client)).toBe(503);
    await expectRate('2r/m');
  });

  it('sticky learn lookup= changed: applied (the next generation)', async () => {
    await reload({ ...BASE, stickyLookup: '$cookie_other' });
  });

  it.each([
    { name: 'size', to: { size: '2m', rate: '50r/s' }, why: 'zone \\"z0\\": size 1m -> 2m needs a restart' },
    { name: 'limit_req key', to: { key: '$remote_addr', rate: '50r/s' }, why: 'zone \\"z0\\": key $http_x_client -> $remote_addr needs a restart' },
    { name: 'keyval timeout', to: { kvTimeout: '2h', rate: '50r/s' }, why: 'zone \\"kv\\": timeout 1h -> 2h needs a restart' },
    { name: 'sticky timeout', to: { stickyTimeout: '30m', rate: '50r/s' }, why: 'zone \\"st\\": timeout 1h -> 30m needs a restart' },
    { name: 'counter window', to: { window: '1m', rate: '50r/s' }, why: 'zone \\"hits\\": window 10s -> 1m needs a restart' },
  ])('$name changed (with the rate): refused whole, the reason logged, the old rate kept', async ({ to, why }) => {
    await reloadRefused({ ...BASE, ...to }, why);
    await expectRate('1r/m');
  });
});
