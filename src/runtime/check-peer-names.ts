// What `-t` says of the zone_sync_server lines that name a host without `resolve`: the node
// resolves them once, through the system resolver, when it starts (discovery.ts), so a name
// that does not resolve now leaves that peer undialled until it does. nginx refuses such a
// configuration; zonesync starts and retries, so -t warns instead. The same for the names of
// upstream servers and proxy_pass URLs, which the gateway resolves at each connection: until
// they resolve, their requests are answered 502.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HttpConfig, HttpLocationConfig, SourceLocation, ZoneSyncServerConfig } from '../config/types.js';

/** How long -t waits for one name. */
export const NAME_CHECK_TIMEOUT_MS = 5_000;

export type HostLookup = (host: string) => Promise<readonly string[]>;

const systemLookup: HostLookup = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** One warning line per static name that does not resolve, in the order of the lines. */
export async function unresolvedPeerNames(config: ZoneSyncServerConfig, resolveHost: HostLookup = systemLookup): Promise<string[]> {
  const checks = config.peers.map(async (peer) => {
    if (peer.resolve || peer.address.kind !== 'tcp' || isIP(peer.address.host) !== 0) return null;
    const problem = await lookupProblem(peer.address.host, resolveHost);
    if (problem === null) return null;
    const where = peer.source === undefined ? '' : ` in ${peer.source.file}:${peer.source.line}`;
    return `host not found in "${peer.text}" of the "zone_sync_server" directive${where} (${problem}): the node will retry it`;
  });
  return (await Promise.all(checks)).filter((w): w is string => w !== null);
}

/** One warning per upstream server and proxy_pass host named by a name that does not resolve. */
export async function unresolvedUpstreamNames(http: HttpConfig | null, resolveHost: HostLookup = systemLookup): Promise<string[]> {
  const upstreamNames = new Set((http?.upstreams ?? []).map((u) => u.name));
  const names: Array<{ host: string; what: string; source: SourceLocation | undefined }> = [];
  for (const u of http?.upstreams ?? []) {
    for (const s of u.servers) {
      if (s.address.kind === 'tcp') names.push({ host: s.address.host, what: `"${s.text}" of upstream "${u.name}"`, source: s.source });
    }
  }
  const visit = (locations: readonly HttpLocationConfig[]): void => {
    for (const l of locations) {
      const target = l.proxyPass;
      if (target !== null && target.variables !== true && !(target.port === null && upstreamNames.has(target.host))) {
        names.push({ host: target.host, what: `"${target.url}" of the "proxy_pass" directive`, source: l.source });
      }
      visit(l.locations);
    }
  };
  for (const server of http?.servers ?? []) visit(server.locations);
  const checks = names.map(async ({ host, what, source }) => {
    if (isIP(host) !== 0) return null;
    const problem = await lookupProblem(host, resolveHost);
    if (problem === null) return null;
    const where = source === undefined ? '' : ` in ${source.file}:${source.line}`;
    return `host not found in ${what}${where} (${problem}): its requests will be answered 502 until it resolves`;
  });
  return (await Promise.all(checks)).filter((w): w is string => w !== null);
}

async function lookupProblem(host: string, resolveHost: HostLookup): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${NAME_CHECK_TIMEOUT_MS} ms`), NAME_CHECK_TIMEOUT_MS);
  });
  const answer = resolveHost(host).then(
    (addresses) => (addresses.length === 0 ? 'no addresses' : null),
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
