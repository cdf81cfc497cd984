// GET /http/upstreams/: every upstream block of the configuration and its servers, in the
// NGINX Plus shape (API version 9):
//
//   {"backend":{"peers":[{"id":0,"server":"10.0.0.1:8080","name":"10.0.0.1:8080","backup":false,
//      "weight":1,"state":"up","active":0,"requests":0,"responses":{"1xx":0,…,"codes":{},"total":0},
//      "sent":0,"received":0,"fails":0,"unavail":0,"health_checks":{"checks":0,"fails":0,"unhealthy":0},
//      "downtime":0}],"keepalive":0,"zombies":0,"zone":"backend"}}
//
// A peer's traffic counters are zero unless the node gives them (PeerTraffic: the gateway's
// counts of what proxy_pass sent it). A server's state is "down" when the configuration marks
// it so, "unavail" while the balancer leaves it out after max_fails failures, else "up"
// (zonesync runs no health checks); `downtime` is the time it spent unavail, and
// `downstart` when the current unavail period began, present only while it lasts.

export interface PeerTraffic {
  readonly active: number;
  readonly requests: number;
  /** Responses by status code. */
  readonly codes: ReadonlyMap<number, number>;
  readonly sent: number;
  readonly received: number;
  readonly fails: number;
  readonly unavail: number;
  /** When the server was last chosen (ms since the epoch); absent: never. */
  readonly selectedMs?: number;
  /** Mean time to the answer's header, and to its end, in ms; absent: no answer yet. */
  readonly headerTimeMs?: number;
  readonly responseTimeMs?: number;
  /** Time left out ("unavail") in all, ms; and when the current period began (ms since the epoch), absent when up. */
  readonly downtimeMs?: number;
  readonly downStartMs?: number;
}

export interface UpstreamPeerInfo {
  /** The address as written in the server directive. */
  readonly server: string;
  readonly weight: number;
  /** 0: no limit (the field is then left out, as NGINX Plus does). */
  readonly maxConns: number;
  readonly backup: boolean;
  readonly down: boolean;
  /** Left out by the balancer after max_fails failures ("unavail"). */
  readonly unavailable?: boolean;
  readonly traffic?: PeerTraffic;
}

export interface UpstreamGroupInfo {
  readonly name: string;
  /** The upstream's `zone`, or null when it has none. */
  readonly zone: string | null;
  readonly peers: readonly UpstreamPeerInfo[];
}

const NO_TRAFFIC: PeerTraffic = { active: 0, requests: 0, codes: new Map(), sent: 0, received: 0, fails: 0, unavail: 0 };

export function upstreamObject(group: UpstreamGroupInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { peers: group.peers.map(peerObject), keepalive: 0, zombies: 0 };
  if (group.zone !== null) out['zone'] = group.zone;
  return out;
}

function peerObject(peer: UpstreamPeerInfo, id: number): Record<string, unknown> {
  const t = peer.traffic ?? NO_TRAFFIC;
  const out: Record<string, unknown> = {
    id, server: peer.server, name: peer.server, backup: peer.backup, weight: peer.weight,
    state: peer.down ? 'down' : peer.unavailable === true ? 'unavail' : 'up', active: t.active,
  };
  if (peer.maxConns > 0) out['max_conns'] = peer.maxConns;
  Object.assign(out, {
    requests: t.requests, responses: responsesObject(t.codes), sent: t.sent, received: t.received, fails: t.fails,
    unavail: t.unavail, health_checks: { checks: 0, fails: 0, unhealthy: 0 }, downtime: Math.round(t.downtimeMs ?? 0),
  });
  // As NGINX Plus: present while the server is unavail.
  if (t.downStartMs !== undefined) out['downstart'] = new Date(t.downStartMs).toISOString();
  // As NGINX Plus: present once the server was chosen, or answered.
  if (t.selectedMs !== undefined) out['selected'] = new Date(t.selectedMs).toISOString();
  if (t.headerTimeMs !== undefined) out['header_time'] = Math.round(t.headerTimeMs);
  if (t.responseTimeMs !== undefined) out['response_time'] = Math.round(t.responseTimeMs);
  return out;
}

/** {"1xx":…,"5xx":…,"codes":{"200":…},"total":…}: codes by class, then each code seen. */
export function responsesObject(codes: ReadonlyMap<number, number>): Record<string, unknown> {
  const classes = [0, 0, 0, 0, 0];
  const byCode = Object.create(null) as Record<string, number>;
  let total = 0;
  for (const [code, n] of [...codes].sort((a, b) => a[0] - b[0])) {
    const cls = Math.floor(code / 100) - 1;
    if (cls >= 0 && cls < 5) classes[cls]! += n;
    byCode[String(code)] = n;
    total += n;
  }
  return { '1xx': classes[0], '2xx': classes[1], '3xx': classes[2], '4xx': classes[3], '5xx': classes[4], codes: byCode, total };
}
