// A zone handle crosses threads (structured cloning keeps its SharedArrayBuffers) and never
// processes: sent as JSON (process.send under node:cluster, PM2, child_process) it is refused
// at the sending end, and a handle that arrives without its buffers is refused at attach,
// each with a ZoneArgumentError that says why and what to do instead.
import { describe, expect, it } from 'vitest';
import { KeyvalZone, LimitReqZone, StickyZone, ZoneArgumentError } from '../../dist/zones/index.js';

/** Each kind: create, attach, and one write through a zone of it. */
const kinds = [
  ['keyval', () => KeyvalZone.create({ name: 'kv', size: '64k', sync: true, timeout: '1h' }), KeyvalZone.attach, (z: KeyvalZone) => z.set('k', 'v')],
  ['limit_req', () => LimitReqZone.create({ name: 'lr', size: '64k', rate: '1r/s' }), LimitReqZone.attach, (z: LimitReqZone) => z.take('k', { burst: 1, delay: 0, nodelay: false })],
  ['sticky', () => StickyZone.create({ name: 'st', size: '64k' }), StickyZone.attach, (z: StickyZone) => z.learn('k', 'v')],
] as const;

/** What a handle becomes after a trip through JSON: every SharedArrayBuffer an empty object. */
function asJsonWouldDeliver(value: unknown): unknown {
  if (value instanceof SharedArrayBuffer) return {};
  if (Array.isArray(value)) return value.map(asJsonWouldDeliver);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJsonWouldDeliver(v)]));
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

describe.each(kinds)('a %s zone handle and processes', (_, create, attach, write) => {
  it('cannot be turned into JSON, the form process.send gives it, from the creating thread or an attached one', () => {
    const zone = create();
    const attached = (attach as (h: unknown) => { handle: unknown })(structuredClone(zone.handle));
    for (const handle of [zone.handle, attached.handle, { message: [zone.handle] }]) {
      const error = thrown(() => JSON.stringify(handle));
      expect(error).toBeInstanceOf(ZoneArgumentError);
      expect(error.message).toMatch(new RegExp(`^zone "${zone.name}": a zone handle cannot be sent as JSON \\(process\\.send, the IPC of node:cluster and PM2\\): its memory is a SharedArrayBuffer, which no other process can map\\. .*startClusterMember\\(\\)`));
    }
  });

  it('is refused at attach when it arrives without its SharedArrayBuffers', () => {
    const zone = create();
    const error = thrown(() => (attach as (h: unknown) => unknown)(asJsonWouldDeliver(zone.handle)));
    expect(error).toBeInstanceOf(ZoneArgumentError);
    expect(error.message).toMatch(new RegExp(`^zone "${zone.name}": this handle holds no SharedArrayBuffer, so it was sent from another process \\(node:cluster, PM2, child_process IPC\\) or through JSON\\.`));
  });

  it('still crosses threads as plain data: a structured clone attaches and shares the memory', () => {
    const zone = create();
    const clone = structuredClone(zone.handle);
    expect(Object.keys(clone).sort()).toEqual(['descriptor', 'node', 'settings']);
    const attached = (attach as (h: unknown) => typeof zone)(clone);
    (write as (z: typeof zone) => unknown)(attached);
    expect(zone.stats().records).toBe(1);
  });
});
