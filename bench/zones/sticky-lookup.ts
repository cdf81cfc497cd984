import { StickyZone } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';

const BATCH = 1000;
const SESSIONS = 100_000;

/** StickyZone.lookup (hit) against a thread-local Map of session → server. */
export async function benchStickyLookup(timeMs: number): Promise<{ zone: ResultRow; map: ResultRow }> {
  const sessions = Array.from({ length: SESSIONS }, (_, i) => `s${String(i * 2654435761 % 4294967296).padStart(10, '0')}`);
  const servers = ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'];
  const map = new Map<string, string>();
  const st = StickyZone.create({ name: 'bench-sticky', size: '32m' });
  sessions.forEach((s, i) => {
    map.set(s, servers[i % 3]!);
    st.learn(s, servers[i % 3]!);
  });
  let c = 0;
  let sink = 0;
  const rows = await runBench([
    ['Map.get (sticky baseline)', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += map.get(sessions[c]!)!.length;
        c = c + 7919 < SESSIONS ? c + 7919 : c + 7919 - SESSIONS;
      }
    }],
    ['StickyZone.lookup', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += st.lookup(sessions[c]!)!.length;
        c = c + 7919 < SESSIONS ? c + 7919 : c + 7919 - SESSIONS;
      }
    }],
  ], BATCH, timeMs);
  if (sink === 0) throw new Error('nothing read');
  return { map: rows[0]!, zone: rows[1]! };
}
