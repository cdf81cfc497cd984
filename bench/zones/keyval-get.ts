import { KeyvalZone } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';
import { KEY_COUNT, makeKeys, makeValue } from '../shm/workload.js';
import { RemoteMap } from './remote-map.js';

const BATCH = 1000;
/** Round trips to another thread are some 10 µs each: a smaller batch keeps samples short. */
const REMOTE_BATCH = 50;

/**
 * KeyvalZone.get (hit) against a thread-local Map holding the same 100k keys (the issue's
 * ratio), and, for context, against the same Map kept in another thread and asked over a
 * MessagePort: the usual way to share a Map between threads without shared memory.
 */
export async function benchKeyvalGet(timeMs: number): Promise<{ zone: ResultRow; map: ResultRow; remote: ResultRow }> {
  const keys = makeKeys();
  const map = new Map<string, string>();
  const kv = KeyvalZone.create({ name: 'bench', size: '32m', timeout: '1h' });
  for (let i = 0; i < KEY_COUNT; i++) {
    map.set(keys[i]!, makeValue(i));
    kv.set(keys[i]!, makeValue(i));
  }
  let c = 0;
  let sink = 0;
  const rows = await runBench([
    ['Map.get (keyval baseline)', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += map.get(keys[c]!)!.length;
        c = c + 7919 < KEY_COUNT ? c + 7919 : c + 7919 - KEY_COUNT;
      }
    }],
    ['KeyvalZone.get', () => {
      for (let n = 0; n < BATCH; n++) {
        sink += kv.get(keys[c]!)!.length;
        c = c + 7919 < KEY_COUNT ? c + 7919 : c + 7919 - KEY_COUNT;
      }
    }],
  ], BATCH, timeMs);
  const remoteMap = new RemoteMap([...map]);
  const [remote] = await runBench([
    ['Map in another thread, via MessagePort', async () => {
      for (let n = 0; n < REMOTE_BATCH; n++) {
        sink += (await remoteMap.get(keys[c]!))!.length;
        c = c + 7919 < KEY_COUNT ? c + 7919 : c + 7919 - KEY_COUNT;
      }
    }],
  ], REMOTE_BATCH, timeMs);
  await remoteMap.close();
  if (sink === 0) throw new Error('nothing read');
  return { map: rows[0]!, zone: rows[1]!, remote: remote! };
}
