// A node configuration for the dashboard tests: a synced keyval zone, a limit_req zone with
// a low rate on /limited, the API, the dashboard, a dashboard whose API location refuses
// every client, and an API and dashboard behind basic auth (user admin, password secret).
import { syncBlock, writeConfig, type NodePorts } from '../runtime/cluster-helpers.js';

export const LIMIT_ZONE = 'perclient';
export const USER = { username: 'admin', password: 'secret' };

/** Writes the node's configuration and its htpasswd file into `dir`; the configuration's path. */
export function writeDashboardNode(dir: string, name: string, self: NodePorts, all: NodePorts[]): string {
  writeConfig(dir, 'users', `${USER.username}:{PLAIN}${USER.password}\n`);
  return writeConfig(dir, name, dashboardConfig(self, all));
}

function dashboardConfig(self: NodePorts, all: NodePorts[]): string {
  return `worker_processes 2;
http {
    keyval_zone zone=one:1m timeout=1h sync;
    limit_req_zone $binary_remote_addr zone=${LIMIT_ZONE}:1m rate=5r/s sync;
    server {
        listen 127.0.0.1:${self.http};
        location /api { api write=on; }
        location /closed-api { api; deny all; }
        location = /dashboard.html { zonesync_dashboard; }
        location /closed/ { zonesync_dashboard api=/closed-api/; }
        location = /hidden.html { zonesync_dashboard; deny all; }
        location /auth-api { api; auth_basic "zonesync"; auth_basic_user_file users; }
        location /auth/ { zonesync_dashboard api=/auth-api/; auth_basic "zonesync"; auth_basic_user_file users; }
        location /open-auth/ { zonesync_dashboard api=/auth-api/; }
        location /limited { limit_req zone=${LIMIT_ZONE} burst=5 nodelay; }
        location /delayed { limit_req zone=${LIMIT_ZONE} burst=10; }
        location / { }
    }
}
${syncBlock(self.sync, all.map((p) => `127.0.0.1:${p.sync}`))}`;
}
