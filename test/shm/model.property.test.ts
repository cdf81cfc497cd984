import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShmZone, WRITE_OK, checkZone } from 'native-free-shm';
import { zoneGet, zoneRemove, zoneSet } from '../../dist-bench/lib/shm-strings.js';

type Op =
  | { kind: 'set'; key: string; value: string; ttlMs: number }
  | { kind: 'get'; key: string }
  | { kind: 'remove'; key: string }
  | { kind: 'tick'; ms: number };

const keyArb = fc.oneof(fc.constantFrom('a', 'b', 'c', 'ключ', '🙂'), fc.string({ minLength: 1, maxLength: 12 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.string({ maxLength: 300 }), ttlMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
);

interface Entry { value: string; expireAt: number }

function liveValue(model: Map<string, Entry>, key: string, now: number): string | undefined {
  const e = model.get(key);
  if (e === undefined || (e.expireAt !== 0 && e.expireAt <= now)) return undefined;
  return e.value;
}

describe('zone against a Map model', () => {
  it('behaves as a Map with expiry when it has room (injected clock)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 300 }), fc.constantFrom(1, 4), (ops, shards) => {
      const clock = { t: 1_700_000_000_000 };
      const z = ShmZone.create({ sizeBytes: 4 << 20, shards }, { now: () => clock.t });
      const model = new Map<string, Entry>();
      for (const op of ops) {
        if (op.kind === 'set') {
          const expireAt = op.ttlMs === 0 ? 0 : clock.t + op.ttlMs;
          expect(zoneSet(z, op.key, op.value, expireAt)).toBe(WRITE_OK);
          model.set(op.key, { value: op.value, expireAt });
        } else if (op.kind === 'get') {
          expect(zoneGet(z, op.key)).toBe(liveValue(model, op.key, clock.t));
        } else if (op.kind === 'remove') {
          const had = liveValue(model, op.key, clock.t) !== undefined;
          expect(zoneRemove(z, op.key)).toBe(had);
          model.delete(op.key);
        } else {
          clock.t += op.ms;
        }
      }
      for (const key of model.keys()) expect(zoneGet(z, key)).toBe(liveValue(model, key, clock.t));
      expect(checkZone(z)).toEqual([]);
    }), { numRuns: 150 });
  });

  it('when full, never returns a wrong value: a key reads as its last write or as evicted', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
      const clock = { t: 1_700_000_000_000 };
      const z = ShmZone.create({ sizeBytes: 24 * 1024, shards: 1 }, { now: () => clock.t });
      const model = new Map<string, Entry>();
      for (const op of ops) {
        if (op.kind === 'set') {
          const expireAt = op.ttlMs === 0 ? 0 : clock.t + op.ttlMs;
          if (zoneSet(z, op.key, op.value, expireAt) === WRITE_OK) model.set(op.key, { value: op.value, expireAt });
          else model.delete(op.key);
        } else if (op.kind === 'get') {
          const got = zoneGet(z, op.key);
          if (got !== undefined) expect(got).toBe(liveValue(model, op.key, clock.t));
        } else if (op.kind === 'remove') {
          zoneRemove(z, op.key);
          model.delete(op.key);
        } else {
          clock.t += op.ms;
        }
      }
      expect(checkZone(z)).toEqual([]);
    }), { numRuns: 150 });
  });
});
