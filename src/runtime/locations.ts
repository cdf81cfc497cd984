import type { HttpLocationConfig, HttpServerConfig } from '../config/types.js';

/**
 * nginx's location choice for a URI path: an exact `=` match wins at once; otherwise the
 * longest prefix is remembered; a longest prefix with `^~` wins at once; otherwise the
 * regular expressions are tried in order and the first match wins; otherwise the
 * remembered prefix. Nested locations are searched the same way inside the chosen one.
 */
export function findLocation(locations: readonly HttpLocationConfig[], path: string): HttpLocationConfig | null {
  let longest: HttpLocationConfig | null = null;
  for (const loc of locations) {
    if (loc.modifier === 'exact') {
      if (loc.pattern === path) return loc;
    } else if ((loc.modifier === 'prefix' || loc.modifier === 'prefix-no-regex') && path.startsWith(loc.pattern)) {
      if (longest === null || loc.pattern.length > longest.pattern.length) longest = loc;
    }
  }
  if (longest === null || longest.modifier !== 'prefix-no-regex') {
    for (const loc of locations) {
      if (loc.modifier !== 'regex' && loc.modifier !== 'regex-case-insensitive') continue;
      if (regexOf(loc).test(path)) return nested(loc, path);
    }
  }
  return longest === null ? null : nested(longest, path);
}

const regexes = new WeakMap<HttpLocationConfig, RegExp>();

/** A regex location's expression, compiled on first use (a location's configuration never changes). */
function regexOf(loc: HttpLocationConfig): RegExp {
  let re = regexes.get(loc);
  if (re === undefined) {
    re = new RegExp(loc.pattern, loc.modifier === 'regex' ? '' : 'i');
    regexes.set(loc, re);
  }
  return re;
}

function nested(loc: HttpLocationConfig, path: string): HttpLocationConfig {
  if (loc.locations.length === 0) return loc;
  return findLocation(loc.locations, path) ?? loc;
}

/** The server for a request's Host among those listening on one socket: by name, else the default, else the first. */
export function findServer(servers: readonly HttpServerConfig[], host: string | undefined): HttpServerConfig {
  if (servers.length === 1) return servers[0]!;
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  for (const s of servers) if (s.serverNames.some((n) => n.toLowerCase() === name)) return s;
  return defaultServer(servers);
}

/** The server of what arrives on a socket before any Host is known (a request the parser refused): the default, else the first. */
export function defaultServer(servers: readonly HttpServerConfig[]): HttpServerConfig {
  return servers.find((s) => s.listen.some((l) => l.defaultServer)) ?? servers[0]!;
}
