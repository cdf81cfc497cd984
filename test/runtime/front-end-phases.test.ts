// A request's phases in the front end, in nginx's order: limit_req (preaccess) before the
// access rules, for every location (the API's included), and a refused request reaches
// neither the access rules' answer, nor the body, nor any content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseConfigText } from '../../dist/config/index.js';
import { FrontEnd } from '../../dist/runtime/front-end.js';
import { LimitReqGate, limitReqKeysOf } from '../../dist/runtime/limit-req-gate.js';
import { Gateway, gatewayDataOf } from '../../dist/gateway/gateway.js';
import { Variables } from '../../dist/gateway/variables.js';
import { createZones } from '../../dist/runtime/zone-set.js';
import { createNodeContext } from '../../dist/zones/index.js';
import { freePorts } from './cluster-helpers.js';

let port: number;
let frontEnd: FrontEnd;
const reached: string[] = [];

beforeAll(async () => {
  [port] = await freePorts(1) as [number];
  const config = parseConfigText(`http {
    limit_req_zone $binary_remote_addr zone=denied:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=api:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=handler:1m rate=1r/m;
    server {
      listen 127.0.0.1:${port};
      location /denied { limit_req zone=denied burst=1 nodelay; deny all; }
      location /api { limit_req zone=api burst=1 nodelay; limit_req_status 429; api write=on; }
      location / { limit_req zone=handler burst=2 nodelay; }
    }
  }`, '/x/zonesync.conf');
  const { zones } = createZones(config, createNodeContext(1));
  frontEnd = new FrontEnd({
    content: async (req, res) => {
      reached.push(`content ${req.url}`);
      res.end('{}');
    },
    handle: async (request) => {
      reached.push(`handler ${request.url}`);
      return { status: 200, body: 'ok' };
    },
    limits: new LimitReqGate(zones.limitReq, limitReqKeysOf(config.zones), new Variables()),
    gateway: new Gateway({ data: gatewayDataOf(config), sticky: zones.sticky, variables: new Variables(), logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }),
    handlerOverride: null,
  });
  await frontEnd.listen(config.http!);
});

afterAll(() => frontEnd.close());

async function statuses(path: string, n: number, init: RequestInit = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, init);
    await r.arrayBuffer();
    out.push(r.status);
  }
  return out;
}

describe('limit_req before the access rules, in every location', () => {
  it('a denied client is accounted: 403 while within the limit, then 503', async () => {
    expect(await statuses('/denied', 4)).toEqual([403, 403, 503, 503]);
  });

  it('an API location applies its limit_req, with its limit_req_status, before the API runs', async () => {
    reached.length = 0;
    expect(await statuses('/api/9/', 4)).toEqual([200, 200, 429, 429]);
    expect(reached).toEqual(['content /api/9/', 'content /api/9/']);
  });

  it('a refused request never runs the handler, whatever its body', async () => {
    reached.length = 0;
    expect(await statuses('/x', 5, { method: 'POST', body: 'x'.repeat(100_000) })).toEqual([200, 200, 200, 503, 503]);
    expect(reached).toEqual(['handler /x', 'handler /x', 'handler /x']);
  });
});
