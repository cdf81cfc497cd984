import type { LimitReqZoneConfig, ZoneConfig } from '../config/types.js';
import { formatSize, formatTimeMs } from '../config/units.js';

// What a reload may change in a zone, as nginx's reload does: a zone whose shared memory
// stays the same (same name, kind and size) keeps its records, and what is read from the
// configuration rather than from the memory comes from the new one.
//
// Applied live: a limit_req zone's rate (in the zone's header, for every thread at once);
// a sticky zone's create=, lookup=, header and upstream block (the gateway reads them at
// each reload). Everything else a zone is made with at start needs a restart: a new or
// removed zone, its kind, size and sync; a limit_req zone's key (nginx refuses it too: its
// buckets are keyed by the old one); a keyval zone's type, state file and timeout, a sticky
// zone's timeout and a counter zone's window (expiry and the checks of synced records are
// made with them in every thread and in the sync thread).

/** One parameter a zone is made with at start, as written. */
type Parameter = readonly [name: string, value: string];

/** The parameters of `z` that only a restart changes (kind, size and sync apart). */
function startParameters(z: ZoneConfig): Parameter[] {
  switch (z.kind) {
    case 'keyval':
      return [['type', z.type], ['state', z.stateFile ?? 'none'], ['timeout', z.timeoutMs === null ? 'none' : formatTimeMs(z.timeoutMs)]];
    case 'limit_req':
      return [['key', z.key ?? 'none (taken from code)']];
    case 'sticky':
      return [['timeout', formatTimeMs(z.timeoutMs)]];
    case 'counter':
      return [['window', z.windowMs === 0 ? 'none' : formatTimeMs(z.windowMs)]];
  }
}

/** A zone's kind as its directive is named, e.g. "limit_req_zone". */
function directiveOf(z: ZoneConfig): string {
  if (z.kind === 'keyval') return z.module === 'stream' ? 'keyval_zone (stream)' : 'keyval_zone';
  if (z.kind === 'sticky') return 'sticky learn';
  if (z.kind === 'counter') return 'zonesync_counter_zone';
  return 'limit_req_zone';
}

/**
 * The zone changes from `before` to `after` that need a restart, each saying what changed:
 * `zone "z0": size 1m -> 2m needs a restart`.
 */
export function zoneRestartProblems(before: readonly ZoneConfig[], after: readonly ZoneConfig[]): string[] {
  const problems: string[] = [];
  const old = new Map(before.map((z) => [z.name, z]));
  for (const z of after) {
    const was = old.get(z.name);
    if (was === undefined) {
      problems.push(`zone "${z.name}" is new: a new zone needs a restart`);
      continue;
    }
    if (directiveOf(was) !== directiveOf(z)) {
      problems.push(`zone "${z.name}": ${directiveOf(was)} -> ${directiveOf(z)} needs a restart`);
      continue;
    }
    const parameters: Array<readonly [Parameter, Parameter]> = [
      [['size', formatSize(was.sizeBytes)], ['size', formatSize(z.sizeBytes)]],
      [['sync', was.sync ? 'on' : 'off'], ['sync', z.sync ? 'on' : 'off']],
    ];
    const then = startParameters(was);
    startParameters(z).forEach((p, i) => parameters.push([then[i]!, p]));
    for (const [[name, from], [, to]] of parameters) {
      if (from !== to) problems.push(`zone "${z.name}": ${name} ${from} -> ${to} needs a restart`);
    }
  }
  const names = new Set(after.map((z) => z.name));
  for (const z of before) if (!names.has(z.name)) problems.push(`zone "${z.name}" was removed: a removed zone needs a restart`);
  return problems;
}

/** The limit_req zones of `after` whose rate differs from `before`'s: what a reload applies to them. */
export function changedRates(before: readonly ZoneConfig[], after: readonly ZoneConfig[]): LimitReqZoneConfig[] {
  const old = new Map(before.map((z) => [z.name, z]));
  return after.filter((z): z is LimitReqZoneConfig => {
    const was = old.get(z.name);
    return z.kind === 'limit_req' && was?.kind === 'limit_req' && was.rate.milliRequestsPerSecond !== z.rate.milliRequestsPerSecond;
  });
}
