// The configuration of the HUP tests' node, built from a shape: each case changes one part
// of it and reloads. Upstream servers are real servers on 127.0.0.1 (test-upstream.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReloadShape {
  /** Servers of upstream `backend`, as `server` lines' parameters: "ADDRESS [weight=N] [down]". */
  servers: string[];
  /** proxy_set_header X-Real-IP's value in `location /`. */
  realIp: string;
  /** The text `location /fixed` returns. */
  fixedText: string;
  /** The access rules of `location /guarded` (an api location). */
  guarded: string;
  /** Directives of `location /limited` (proxied), e.g. a limit_req. */
  limited: string;
  /** More locations of the server. */
  locations: string;
  /** More directives of the http block (keyval ones). */
  http: string;
  /** More server blocks; PORT stands for the node's http port. */
  moreServers: string;
  /** keyval_zone one's size. */
  oneSize: string;
}

/** `slow`: the address of upstream `slow`'s one server. */
export function reloadConfig(httpPort: number, slow: string, s: ReloadShape): string {
  return `worker_processes 2;
http {
    keyval_zone zone=one:${s.oneSize} timeout=1h;
    limit_req_zone $http_x_client zone=perclient:1m rate=1r/m;
    ${s.http}
    upstream backend {
        zone backend 64k;
${s.servers.map((line) => `        server ${line};`).join('\n')}
    }
    upstream slow {
        server ${slow};
    }
    server {
        listen 127.0.0.1:${httpPort};
        location /api { api write=on; }
        location /guarded { api; ${s.guarded} }
        location /fixed { return 200 "${s.fixedText}\\n"; }
        location /limited { proxy_pass http://backend; ${s.limited} }
        location /slow { proxy_pass http://slow; }
        location / { proxy_pass http://backend; proxy_set_header X-Real-IP "${s.realIp}"; }
        ${s.locations}
    }
    ${s.moreServers.replaceAll('PORT', String(httpPort))}
}
`;
}

/**
 * The handler module of the handler cases: answers "handled" and the servers of upstream
 * `backend` its context shows; /die ends the thread that runs it.
 */
export function writeReloadHandler(dir: string): string {
  const path = join(dir, 'reload-handler.mjs');
  writeFileSync(path, `export default function handle(req, ctx) {
  if (req.url === '/app/die') process.exit(3);
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'handled ' + (ctx.upstreams.get('backend')?.servers ?? []).length + '\\n' };
}
`);
  return path;
}
