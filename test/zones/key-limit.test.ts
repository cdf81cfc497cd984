// A key longer than a zone's maxKeyBytes (256 by default) is refused by every zone type and
// every call that takes a key, with a ZoneArgumentError naming the zone and that limit: a
// limit_req or counter zone keeps 4 more bytes per record (the node a share belongs to),
// which are the zone's own and never a caller's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterZone, KeyvalZone, LimitReqZone, StickyZone, ZoneArgumentError } from '../../dist/zones/index.js';

type Call = (key: string) => unknown;

/** Every zone type with a key limit, made with `maxKeyBytes` (the default when undefined), and each call that takes a key. */
const ZONES: { kind: string; make: (maxKeyBytes: number | undefined) => { name: string; calls: Record<string, Call> } }[] = [
  {
    kind: 'keyval',
    make: (maxKeyBytes) => {
      const kv = KeyvalZone.create({ name: 'kv', size: '1m', ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }) });
      return { name: 'kv', calls: { set: (k) => kv.set(k, 'v'), get: (k) => kv.get(k), delete: (k) => kv.delete(k), match: (k) => kv.match(k) } };
    },
  },
  {
    kind: 'keyval type=prefix',
    make: (maxKeyBytes) => {
      const kv = KeyvalZone.create({ name: 'routes', size: '1m', type: 'prefix', ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }) });
      return { name: 'routes', calls: { set: (k) => kv.set(k, 'v'), get: (k) => kv.get(k), delete: (k) => kv.delete(k) } };
    },
  },
  {
    kind: 'limit_req',
    make: (maxKeyBytes) => {
      const lr = LimitReqZone.create({ name: 'req', size: '1m', rate: '10r/s', ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }) });
      return { name: 'req', calls: { take: (k) => lr.take(k), peek: (k) => lr.peek(k), refund: (k) => lr.refund(k, 1), reset: (k) => lr.reset(k) } };
    },
  },
  {
    kind: 'limit_req, synced',
    make: (maxKeyBytes) => {
      const lr = LimitReqZone.create({ name: 'shared-req', size: '1m', rate: '10r/s', sync: true, ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }) });
      return { name: 'shared-req', calls: { take: (k) => lr.take(k), peek: (k) => lr.peek(k), refund: (k) => lr.refund(k, 1), reset: (k) => lr.reset(k) } };
    },
  },
  {
    kind: 'counter',
    make: (maxKeyBytes) => {
      const c = CounterZone.create({ name: 'hits', size: '1m', window: '1m', sync: true, ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }) });
      return { name: 'hits', calls: { add: (k) => c.add(k, 1), get: (k) => c.get(k), block: (k) => c.block(k, '1m'), reset: (k) => c.reset(k) } };
    },
  },
];

function refusal(call: () => unknown): ZoneArgumentError | null {
  try {
    call();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ZoneArgumentError);
    return error as ZoneArgumentError;
  }
}

describe('a key over maxKeyBytes, in every zone type', () => {
  for (const { kind, make } of ZONES) {
    for (const maxKeyBytes of [undefined, 16, 300]) {
      const limit = maxKeyBytes ?? 256;
      const zone = make(maxKeyBytes);
      for (const [call, run] of Object.entries(zone.calls)) {
        it(`${kind} (maxKeyBytes ${maxKeyBytes ?? 'default'}), ${call}: keys of limit − 2 to limit + 6 bytes`, () => {
          for (let bytes = limit - 2; bytes <= limit + 6; bytes++) {
            const key = 'k'.repeat(bytes);
            const error = refusal(() => run(key));
            if (bytes <= limit) expect(error, `${bytes} bytes`).toBeNull();
            else expect(error?.message).toBe(`zone "${zone.name}": key of ${bytes} bytes is longer than the zone's limit of ${limit} bytes`);
          }
        });
      }
    }
  }

  it('counts bytes, not characters: any key of up to maxKeyBytes UTF-8 bytes is taken, any longer one refused', () => {
    const zones = ZONES.map(({ make }) => make(undefined));
    fc.assert(fc.property(
      fc.string({ unit: 'binary', minLength: 60, maxLength: 140 }),
      fc.nat(zones.length - 1),
      (key, which) => {
        const zone = zones[which]!;
        const bytes = Buffer.byteLength(key);
        for (const run of Object.values(zone.calls)) {
          const error = refusal(() => run(key));
          if (bytes <= 256) expect(error).toBeNull();
          else expect(error?.message).toBe(`zone "${zone.name}": key of ${bytes} bytes is longer than the zone's limit of 256 bytes`);
        }
      },
    ), { numRuns: 300 });
  });

  it('sticky: a session id over maxSessionBytes names the zone and its limit', () => {
    for (const maxSessionBytes of [undefined, 64]) {
      const limit = maxSessionBytes ?? 32;
      const st = StickyZone.create({ name: 'sessions', size: '1m', timeout: '1h', ...(maxSessionBytes === undefined ? {} : { maxSessionBytes }) });
      for (const call of [(k: string) => st.learn(k, 'a:1'), (k: string) => st.lookup(k), (k: string) => st.forget(k)]) {
        for (let bytes = limit - 2; bytes <= limit + 6; bytes++) {
          const error = refusal(() => call('s'.repeat(bytes)));
          if (bytes <= limit) expect(error).toBeNull();
          else expect(error?.message).toBe(`sticky zone "sessions": session id of ${bytes} bytes is longer than the limit of ${limit}`);
        }
      }
    }
  });
});
