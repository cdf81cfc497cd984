import { RateLimiterMemory } from 'rate-limiter-flexible';
import { LimitReqZone } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';

const BATCH = 100;
const CLIENTS = 10_000;

/**
 * LimitReqZone.take against rate-limiter-flexible's RateLimiterMemory.consume on the same
 * thread, same keys: the in-process limiter a Node developer would otherwise pick. Its
 * consume returns a promise, so each batch awaits its promises as a caller would.
 */
export async function benchLimitTake(timeMs: number): Promise<{ zone: ResultRow; rlf: ResultRow }> {
  const clients = Array.from({ length: CLIENTS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const zone = LimitReqZone.create({ name: 'bench-req', size: '16m', rate: '1000r/s' });
  const rlf = new RateLimiterMemory({ points: 1000, duration: 1 });
  let c = 0;
  let allowed = 0;
  const rows = await runBench([
    ['RateLimiterMemory.consume', async () => {
      for (let n = 0; n < BATCH; n++) {
        try {
          await rlf.consume(clients[c]!);
          allowed++;
        } catch {
          // rejected: over the limit
        }
        c = c + 7 < CLIENTS ? c + 7 : c + 7 - CLIENTS;
      }
    }],
    ['LimitReqZone.take', () => {
      for (let n = 0; n < BATCH; n++) {
        if (zone.take(clients[c]!, { burst: 1000, nodelay: true }).allowed) allowed++;
        c = c + 7 < CLIENTS ? c + 7 : c + 7 - CLIENTS;
      }
    }],
  ], BATCH, timeMs);
  if (allowed === 0) throw new Error('nothing allowed');
  return { rlf: rows[0]!, zone: rows[1]! };
}
