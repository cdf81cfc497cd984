// What the HTTP suite's two modes (requests per second and CPU under wrk; instructions per
// request under callgrind) measure alike: the limits of its zonesync rows, the handler that
// only returns the body, and how a node's start line names its front end.

/** limit_req that refuses nothing (a burst above the connections: many may arrive in one millisecond), and one that refuses nearly all. */
export const OPEN_LIMIT = { rate: '1000000r/s', burst: 100_000 } as const;
export const REFUSING_LIMIT = { rate: '1r/m', burst: 20 } as const;

/** A handler module that answers every request with `body` and nothing else: zonesync's front end without the default handler's zone work. */
export function bareHandler(body: string): string {
  return `const body = ${JSON.stringify(body)};\nexport default () => ({ status: 200, headers: { 'content-type': 'application/json' }, body });\n`;
}

/** The front end a node's start line names ("serving HTTP itself", or the fallback path and why). */
export function frontEndOf(banner: string): string {
  return /with \d+ workers?(.*); zone_sync/.exec(banner)?.[1]?.replace(/^,? ?/, '') ?? banner;
}
