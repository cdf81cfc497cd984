// The refusal log (refusal-log.ts): refused connections are counted every time and logged
// at most once per peer and reason: inbound once per client host and reason in
// REFUSAL_LOG_INTERVAL_MS, outbound when the reason is new. Time is the simulator's
// virtual clock (test/sim/world.ts), advanced by the test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  C_ACCESS_DENIED, C_TLS_FAILURES, ConnectionRefusedError, createSyncCountersBuffer, resolveSyncOptions, type LogFields,
} from '../../dist/sync/index.js';
import type { EngineContext } from '../../dist/sync/engine-context.js';
import { MAX_REFUSALS_REMEMBERED, REFUSAL_LOG_INTERVAL_MS, RefusalLog } from '../../dist/sync/refusal-log.js';
import { HANDSHAKE_HANGUP } from '../../dist/sync/tls-transport.js';
import { World } from '../sim/world.js';
import { memoryLogger, type LogLine } from './helpers.js';

interface Harness {
  world: World;
  log: RefusalLog;
  lines: LogLine[];
  counters: Float64Array;
}

function harness(): Harness {
  const world = new World(1);
  const lines: LogLine[] = [];
  const logger = memoryLogger(lines);
  const ctx: EngineContext = {
    nodeName: 'node-1',
    options: resolveSyncOptions({}),
    timers: world.timers(0),
    log: logger,
    counters: new Float64Array(createSyncCountersBuffer(0)),
    info: (fields: LogFields, message: string) => logger.info({ node: 'node-1', ...fields }, message),
  };
  return { world, log: new RefusalLog(ctx), lines, counters: ctx.counters };
}

const refusal = (reason: string): ConnectionRefusedError => new ConnectionRefusedError(reason, 'detail');

describe('inbound refusals', () => {
  it('once per client host and reason in the interval, whatever the port; counted every time', async () => {
    const { world, log, lines, counters } = harness();
    log.denied('127.0.0.2:40001');
    log.denied('127.0.0.2:40002'); // the same host from another port
    log.refusedInbound('127.0.0.2:40003', refusal('no client certificate')); // the same host, another reason
    log.refusedInbound('127.0.0.2:40004', refusal('no client certificate'));
    log.denied('127.0.0.3:40001'); // another host
    log.denied('[::1]:40001');
    log.denied('[::1]:40002');
    log.denied('unix:/run/a.sock');
    log.denied('unix:/run/b.sock'); // unix clients are told apart by their whole address
    expect(lines.map((l) => [l.level, l.fields.peer, l.fields.reason ?? 'denied'])).toEqual([
      ['warn', '127.0.0.2:40001', 'denied'],
      ['error', '127.0.0.2:40003', 'no client certificate'],
      ['warn', '127.0.0.3:40001', 'denied'],
      ['warn', '[::1]:40001', 'denied'],
      ['warn', 'unix:/run/a.sock', 'denied'],
      ['warn', 'unix:/run/b.sock', 'denied'],
    ]);
    expect(counters[C_ACCESS_DENIED]).toBe(7);
    expect(counters[C_TLS_FAILURES]).toBe(2);
    await world.runUntil(REFUSAL_LOG_INTERVAL_MS - 1);
    log.denied('127.0.0.2:40005');
    expect(lines).toHaveLength(6);
    await world.runUntil(REFUSAL_LOG_INTERVAL_MS);
    log.denied('127.0.0.2:40006');
    expect(lines).toHaveLength(7);
    expect(lines[6]!.fields).toEqual({ node: 'node-1', peer: '127.0.0.2:40006' });
  });

  it('matches a model of "host and reason, once per interval" on any sequence of refusals', async () => {
    const event = fc.record({
      host: fc.constantFrom('127.0.0.2', '127.0.0.3', '[::1]', '[2001:db8::7]'),
      port: fc.integer({ min: 1024, max: 65535 }),
      reason: fc.constantFrom('denied', 'no client certificate', 'expired', 'TLS handshake failed'),
      afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * REFUSAL_LOG_INTERVAL_MS })),
    });
    await fc.assert(fc.asyncProperty(fc.array(event, { maxLength: 60 }), async (events) => {
      const { world, log, lines, counters } = harness();
      const lastLogged = new Map<string, number>();
      let expectedLines = 0;
      for (const e of events) {
        await world.runUntil(world.nowMs + e.afterMs);
        const address = `${e.host}:${e.port}`;
        if (e.reason === 'denied') log.denied(address);
        else if (e.reason === 'TLS handshake failed') log.refusedInbound(address, new Error('socket hang up')); // no reason of its own
        else log.refusedInbound(address, refusal(e.reason));
        const key = `${e.host} ${e.reason}`;
        const last = lastLogged.get(key);
        if (last === undefined || world.nowMs - last >= REFUSAL_LOG_INTERVAL_MS) {
          lastLogged.set(key, world.nowMs);
          expectedLines++;
          expect(lines.at(-1)!.fields.peer).toBe(address);
        }
        expect(lines).toHaveLength(expectedLines);
      }
      expect(counters[C_ACCESS_DENIED] + counters[C_TLS_FAILURES]).toBe(events.length);
    }), { numRuns: 200 });
  });

  it('a client hanging up in the handshake is logged at info, other TLS refusals at error', () => {
    const { log, lines } = harness();
    log.refusedInbound('127.0.0.2:1', refusal(HANDSHAKE_HANGUP));
    log.refusedInbound('127.0.0.2:2', refusal('expired'));
    log.refusedInbound('127.0.0.2:3', new Error('wrong version number'));
    expect(lines.map((l) => [l.level, l.fields.reason])).toEqual([['info', HANDSHAKE_HANGUP], ['error', 'expired'], ['error', 'TLS handshake failed']]);
    expect(lines[2]!.fields).toEqual({
      node: 'node-1', peer: '127.0.0.2:3', direction: 'inbound', reason: 'TLS handshake failed', error: 'wrong version number',
    });
    expect(lines[1]!.message).toBe('zone_sync TLS connection from 127.0.0.2:2 refused: expired');
  });

  it(`remembers at most ${MAX_REFUSALS_REMEMBERED} hosts and reasons, then starts over`, () => {
    const { log, lines } = harness();
    const host = (i: number): string => `10.0.${i >> 8}.${i & 0xff}:5000`;
    for (let i = 0; i < MAX_REFUSALS_REMEMBERED; i++) log.denied(host(i));
    log.denied(host(0));
    expect(lines).toHaveLength(MAX_REFUSALS_REMEMBERED); // all remembered: no second line for host 0
    log.denied(host(MAX_REFUSALS_REMEMBERED)); // one more: the memory starts over with it
    log.denied(host(0));
    expect(lines).toHaveLength(MAX_REFUSALS_REMEMBERED + 2);
  });
});

describe('outbound failures', () => {
  it('are logged at error when their reason is new for the address; TLS refusals are counted every time', () => {
    const { log, lines, counters } = harness();
    const tls = (reason: string): [string, ConnectionRefusedError] => [`TLS: ${reason}: detail`, refusal(reason)];
    log.outboundFailed('10.0.0.5:7777', ...tls('expired'), true);
    log.outboundFailed('10.0.0.5:7777', ...tls('expired'), false);
    log.outboundFailed('10.0.0.5:7777', ...tls('unknown CA'), true);
    log.outboundFailed('10.0.0.5:7777', 'connect ECONNREFUSED 10.0.0.5:7777', new Error('connect ECONNREFUSED 10.0.0.5:7777'), true);
    log.outboundFailed('10.0.0.5:7777', 'connect ECONNREFUSED 10.0.0.5:7777', new Error('connect ECONNREFUSED 10.0.0.5:7777'), false);
    log.outboundFailed('10.0.0.5:7777', 'timed out connecting', null, true);
    expect(lines.map((l) => [l.level, l.fields.peer, l.fields.direction, l.fields.reason])).toEqual([
      ['error', '10.0.0.5:7777', 'outbound', 'expired'],
      ['error', '10.0.0.5:7777', 'outbound', 'unknown CA'],
      ['error', '10.0.0.5:7777', 'outbound', 'connect ECONNREFUSED 10.0.0.5:7777'],
      ['error', '10.0.0.5:7777', 'outbound', 'timed out connecting'],
    ]);
    expect(lines[1]!.message).toBe('zone_sync TLS connection to 10.0.0.5:7777 refused: unknown CA');
    expect(lines[3]!.message).toBe('zone_sync connection to 10.0.0.5:7777 failed: timed out connecting');
    expect(counters[C_TLS_FAILURES]).toBe(3);
  });
});
