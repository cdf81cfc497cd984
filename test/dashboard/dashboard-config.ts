// A node configuration for the dashboard tests: a synced keyval zone, a limit_req zone with
// a low rate on /limited, the API, the dashboard, and a second dashboard whose API location
// refuses every client.
import { syncBlock, type NodePorts } from '../runtime/cluster-helpers.js';

export const LIMIT_ZONE = 'perclient';

export function dashboardConfig(self: NodePorts, all: NodePorts[]): string {
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
        location /limited { limit_req zone=${LIMIT_ZONE} burst=5 nodelay; }
        location /delayed { limit_req zone=${LIMIT_ZONE} burst=10; }
        location / { }
    }
}
${syncBlock(self.sync, all.map((p) => `127.0.0.1:${p.sync}`))}`;
}
