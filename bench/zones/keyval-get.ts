import { KeyvalZone } from 'zonesync';
import { runBench, type ResultRow } from '../lib/report.js';
import { KEY_COUNT, makeKeys, makeValue } from '../shm/workload.js';
import { RemoteMap } from './remote-map.js';

const BATCH = 1000;
/** Round trips to another thread are some 10 µs each: a smaller batch keeps samples short. */
const REMOTE_BATCH = 50;

/** Bytes per value in the floor row's shared buffer. */
const FLOOR_SLOT_BYTES = 64;

/**
 * KeyvalZone.get (hit) against a thread-local Map holding the same 100k keys (the issue's
 * ratio), and, for context:
 *  - the floor of any get from shared memory: read the key's characters (they must become
 *    bytes to be looked up; Map.get uses the hash V8 caches in the string and compares by
 *    identity) and make the value's string out of shared bytes (Map.get returns a string
 *    that already exists), with no hashing, lock, lookup or clock at all;
 *  - the same Map kept in another thread and asked over a MessagePort: the usual way to
 *    share a Map between threads without shared memory.
 */
export async function benchKeyvalGet(timeMs: number): Promise<{ zone: ResultRow; map: ResultRow; floor: ResultRow; remote: ResultRow }> {
  const keys = makeKeys();
  const map = new Map<string, string>();
  const kv = KeyvalZone.create({ name: 'bench', size: '32m', timeout: '1h' });
  for (let i = 0; i < KEY_COUNT; i++) {
    map.set(keys[i]!, makeValue(i));
    kv.set(keys[i]!, makeValue(i));
  }
  const shared = Buffer.from(new SharedArrayBuffer(KEY_COUNT * FLOOR_SLOT_BYTES));
  for (let i = 0; i < KEY_COUNT; i++) shared.write(makeValue(i), i * FLOOR_SLOT_BYTES, 'utf8');
  // Node's decoder without toString's argument checks: what the zones use (native-free-shm text.ts).
  const valueBytes = shared as unknown as { utf8Slice(start: number, end: number): string };
  const valueLength = Buffer.byteLength(makeValue(0));
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
    ['floor of a shared-memory get: key characters read, value string made', () => {
      for (let n = 0; n < BATCH; n++) {
        const key = keys[c]!;
        let chars = 0;
        for (let i = 0; i < key.length; i++) chars += key.charCodeAt(i);
        const at = c * FLOOR_SLOT_BYTES;
        sink += valueBytes.utf8Slice(at, at + valueLength).length + (chars & 1);
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
  return { map: rows[0]!, zone: rows[1]!, floor: rows[2]!, remote: remote! };
}
