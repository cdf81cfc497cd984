import type { UpstreamConfig, UpstreamServerConfig, ZonesyncConfig } from '../config/types.js';
import { gatewayDataOf, type GatewayData } from './gateway.js';
import { UpstreamCounters } from './upstream-counters.js';

/**
 * The gateway data of a reloaded configuration, made by the primary from the previous one:
 *  - an upstream with `zone` whose servers are all as before (address, weight, max_fails,
 *    fail_timeout, max_conns, backup, down, …) keeps its shared balancer state (failures,
 *    weights in progress); any change to its servers starts the state anew, as nginx's
 *    reload does, so that new weights and flags apply from the first request;
 *  - an upstream's counters (the API's peers) stay the same buffer while its server list
 *    names the same servers in the same order (a weight or `down` changed); otherwise the
 *    block gets new counters, where each server that stays (by its address as written)
 *    keeps its totals and a new server starts at zero, and a removed server's are dropped.
 * Requests in flight at the reload finish on the previous state and counters.
 */
export function reloadedGatewayData(next: ZonesyncConfig, previous: GatewayData): GatewayData {
  const fresh = gatewayDataOf(next);
  const sharedStates = { ...fresh.sharedStates };
  const counters = { ...fresh.counters };
  for (const u of next.http?.upstreams ?? []) {
    const before = previous.http?.upstreams.find((p) => p.name === u.name);
    if (before === undefined) continue;
    const state = previous.sharedStates[u.name];
    if (u.zone !== null && state !== undefined && sameServers(before, u)) sharedStates[u.name] = state;
    const oldCounters = previous.counters[u.name];
    if (oldCounters === undefined) continue;
    if (sameNames(before, u)) counters[u.name] = oldCounters;
    else carryTotals(before, new UpstreamCounters(oldCounters), u, new UpstreamCounters(counters[u.name]!));
  }
  return { ...fresh, sharedStates, counters };
}

function serverKey(s: UpstreamServerConfig): string {
  return JSON.stringify({ ...s, source: undefined });
}

function sameServers(a: UpstreamConfig, b: UpstreamConfig): boolean {
  return a.servers.length === b.servers.length && a.servers.every((s, i) => serverKey(s) === serverKey(b.servers[i]!));
}

function sameNames(a: UpstreamConfig, b: UpstreamConfig): boolean {
  return a.servers.length === b.servers.length && a.servers.every((s, i) => s.text === b.servers[i]!.text);
}

/** Each server of `after` named as one of `before` (the first of that name not yet taken) takes its totals. */
function carryTotals(before: UpstreamConfig, from: UpstreamCounters, after: UpstreamConfig, to: UpstreamCounters): void {
  const taken = new Set<number>();
  after.servers.forEach((s, peer) => {
    const fromPeer = before.servers.findIndex((b, i) => b.text === s.text && !taken.has(i));
    if (fromPeer < 0 || fromPeer >= from.peers) return;
    taken.add(fromPeer);
    to.carryOver(peer, from, fromPeer);
  });
}
