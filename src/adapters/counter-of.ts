import { CounterZone, type CounterHandle } from '../zones/counter/counter-zone.js';

/** A counter zone, or its handle (as a worker thread gets it in workerData), which is attached. */
export type CounterZoneInput = CounterZone | CounterHandle;

/** The zone an adapter counts in; `who` names the adapter in the error for anything else. */
export function counterZoneOf(zone: CounterZoneInput | undefined, who: string): CounterZone {
  if (zone instanceof CounterZone) return zone;
  if (typeof zone === 'object' && zone !== null && zone.descriptor?.module === 'counter') return CounterZone.attach(zone);
  throw new TypeError(`${who}: "zone" must be a CounterZone or the handle of one (CounterZone.create({ ... }).handle)`);
}
