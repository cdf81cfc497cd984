import { RateLimiterMemory } from 'rate-limiter-flexible';
import { CounterZone } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';

const BATCH = 100;
const CLIENTS = 10_000;

/**
 * CounterZone.add (one count per client in a 1-minute window, the adapters' operation) on one
 * thread, against the same count in a thread-local Map (what a limiter keeps in memory,
 * shared with no thread) and rate-limiter-flexible's RateLimiterMemory.consume (the library's
 * own in-memory counter, a promise per call, awaited as a caller would).
 */
export async function benchCounterAdd(timeMs: number): Promise<{ map: ResultRow; zone: ResultRow; rlf: ResultRow }> {
  const clients = Array.from({ length: CLIENTS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const zone = CounterZone.create({ name: 'bench-hits', size: '16m', window: '1m' });
  const map = new Map<string, number>();
  const rlf = new RateLimiterMemory({ points: 1e9, duration: 60 });
  let c = 0;
  let total = 0;
  const next = (): string => {
    const client = clients[c]!;
    c = c + 7 < CLIENTS ? c + 7 : c + 7 - CLIENTS;
    return client;
  };
  const rows = await runBench([
    ['Map increment (thread-local)', () => {
      for (let n = 0; n < BATCH; n++) {
        const client = next();
        const value = (map.get(client) ?? 0) + 1;
        map.set(client, value);
        total += value;
      }
    }],
    ['CounterZone.add', () => {
      for (let n = 0; n < BATCH; n++) total += zone.add(next()).value;
    }],
    ['RateLimiterMemory.consume (counter)', async () => {
      for (let n = 0; n < BATCH; n++) total += (await rlf.consume(next())).consumedPoints;
    }],
  ], BATCH, timeMs);
  if (total === 0) throw new Error('nothing counted');
  return { map: rows[0]!, zone: rows[1]!, rlf: rows[2]! };
}
