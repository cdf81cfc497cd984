import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const primary = fileURLToPath(new URL('../../dist/primary.js', import.meta.url));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [primary, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withConfig(text: string, run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-cli-'));
  try {
    const path = join(dir, 'zonesync.conf');
    writeFileSync(path, text);
    run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('node dist/primary.js', () => {
  it('-t accepts the shipped default configuration, as nginx -t', () => {
    const r = cli(['-t']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/zonesync: the configuration file .*examples\/zonesync\.conf syntax is ok/);
    expect(r.err).toMatch(/configuration file .* test is successful/);
  });

  it('-t names the file and line of an error and exits 1', () => {
    withConfig('http {\n    server {\n        listen 8080;\n        bogus on;\n    }\n}\n', (path) => {
      const r = cli(['-t', '-c', path]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`zonesync: [emerg] unknown directive "bogus" in ${path}:4`);
      expect(r.err).toContain('test failed');
    });
  });

  it('-t refuses sync without timeout and a zone too small, naming them', () => {
    withConfig('http {\n  keyval_zone zone=one:1m sync;\n}\n', (path) => {
      const r = cli(['-t', '-c', path]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/timeout.*:2/);
    });
  });

  it('-t loads the TLS certificates, as nginx -t does, and names a missing one', () => {
    withConfig('stream {\n  server {\n    listen 127.0.0.1:12345;\n    zone_sync;\n    zone_sync_ssl on;\n    zone_sync_ssl_certificate /nonexistent/node.crt;\n    zone_sync_ssl_certificate_key /nonexistent/node.key;\n  }\n}\n', (path) => {
      const r = cli(['-t', '-c', path]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/\/nonexistent\/node\.(crt|key)/);
      expect(r.err).toContain('test failed');
    });
  });

  it.each([
    ['an unknown directive', 'http {\n    server {\n        listen 8080;\n        bogus on;\n    }\n}\n'],
    ['a zone too small', 'http {\n  keyval_zone zone=one:1k;\n}\n'],
    ['a missing certificate', 'stream {\n  server {\n    listen 127.0.0.1:12345;\n    zone_sync;\n    zone_sync_ssl on;\n    zone_sync_ssl_certificate /nonexistent/node.crt;\n    zone_sync_ssl_certificate_key /nonexistent/node.key;\n  }\n}\n'],
    ['a missing handler file', 'http {\n    server {\n        listen 8080;\n        location / { zonesync_handler /nonexistent/handler.mjs; }\n    }\n}\n'],
  ])('-t with %s says test failed and never that the syntax is ok (nginx -t prints it on success only)', (_what, text) => {
    withConfig(text, (path) => {
      const r = cli(['-t', '-c', path]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('test failed');
      expect(r.err).not.toContain('syntax is ok');
    });
  });

  it('-t reports a missing file', () => {
    const r = cli(['-t', '-c', '/nonexistent/zonesync.conf']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/nonexistent\/zonesync\.conf/);
  });

  it('prints its version and usage, and refuses bad flags', () => {
    expect(cli(['--version']).out).toMatch(/^zonesync version \d+\.\d+\.\d+/);
    expect(cli(['--help']).out).toContain('--workers N');
    const bad = cli(['--workers', 'many']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--workers must be a whole number');
    expect(cli(['--frobnicate']).code).toBe(1);
  });
});
