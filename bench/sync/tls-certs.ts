// A self-signed certificate for 127.0.0.1, made with the openssl CLI, for the TLS run of the
// replication benchmark: both nodes use it, and trust it (it is its own trust anchor).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenTls, outgoingTls, type SyncOptionsInput } from '../../dist/sync/index.js';

export interface BenchTls {
  /** The listening node's options. */
  listener: SyncOptionsInput;
  /** The dialling node's options: zone_sync_ssl with verification. */
  dialer: SyncOptionsInput;
  cleanup(): void;
}

export function makeBenchTls(): BenchTls {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-bench-tls-'));
  const cert = join(dir, 'node.crt');
  const key = join(dir, 'node.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return {
    listener: { listenTls: listenTls({ certificates: [cert], certificateKeys: [key] }) },
    dialer: { tls: outgoingTls({ verify: true, trustedCertificate: cert, verifyDepth: 0 }) },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
