import type { ZonesyncConfig } from '../config/types.js';
import { Gateway, type GatewayData } from '../gateway/gateway.js';
import { variablesFor, type Variables } from '../gateway/variables.js';
import type { ThreadLogger } from '../thread-logger.js';
import type { UpstreamInfo } from './handler-types.js';
import { LimitReqGate, limitReqKeysOf } from './limit-req-gate.js';
import type { NodeCounters } from './node-counters.js';
import type { ZoneSet } from './zone-set.js';

/** What a thread that serves HTTP has for one configuration: made at start and again at each reload. */
export interface ThreadConfig {
  readonly gateway: Gateway;
  readonly limits: LimitReqGate;
  /** The variables of the configuration's `keyval` directives (and the request's), which limit_req keys and handlers read. */
  readonly variables: Variables;
}

/** The serving thread's own, which every configuration's parts are made against. */
export interface ServingThread {
  readonly zones: ZoneSet;
  readonly counters: NodeCounters;
  readonly logger: ThreadLogger;
}

/**
 * The parts of `config` for a thread, with `gatewayData` made by the primary for it
 * (shared balancer states and counters). `previous`: the gateway of the configuration it
 * replaces, whose connections to upstream servers the new one keeps.
 */
export function threadConfigOf(config: ZonesyncConfig, gatewayData: GatewayData, thread: ServingThread, previous: Gateway | null): ThreadConfig {
  const { zones, counters, logger } = thread;
  const variables = variablesFor(config.http?.keyvals ?? [], zones.keyval);
  const limits = new LimitReqGate(zones.limitReq, limitReqKeysOf(config.zones), variables, counters, logger);
  const gateway = previous?.reloaded(gatewayData, variables) ?? new Gateway({ data: gatewayData, sticky: zones.sticky, variables, logger });
  return { gateway, limits, variables };
}

/** The upstream blocks as handlers see them (ctx.upstreams): the servers not marked down. */
export function upstreamsOf(config: ZonesyncConfig): UpstreamInfo[] {
  return (config.http?.upstreams ?? []).map((u) => ({ name: u.name, servers: u.servers.filter((s) => !s.down).map((s) => s.text), stickyZone: u.stickyZone }));
}
