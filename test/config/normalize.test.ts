import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ConfigError, loadConfig, normalizeConfig, parseConfigText } from '../../dist/config/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const loadable = readdirSync(FIXTURES).filter((name) => name.endsWith('.conf'));

describe('normalizeConfig', () => {
  it('gives the same defaults as an empty file', () => {
    expect(normalizeConfig({})).toEqual(parseConfigText('', '/x/zonesync.conf'));
    expect(normalizeConfig()).toEqual(parseConfigText('', '/x/zonesync.conf'));
  });

  it.each(loadable)('leaves the configuration of %s unchanged (idempotent on complete configurations)', (name) => {
    const config = loadConfig(join(FIXTURES, name));
    expect(normalizeConfig(config)).toEqual(config);
  });

  it('takes a zonesync_state_fsync policy and refuses a bad one', () => {
    expect(normalizeConfig({ stateFsync: { mode: 'always' } }).stateFsync).toEqual({ mode: 'always' });
    expect(normalizeConfig({ stateFsync: { mode: 'interval', intervalMs: 250 } }).stateFsync).toEqual({ mode: 'interval', intervalMs: 250 });
    for (const bad of [{ mode: 'interval', intervalMs: 0 }, { mode: 'interval', intervalMs: 1.5 }, { mode: 'sometimes' }]) {
      expect(() => normalizeConfig({ stateFsync: bad as never })).toThrow(ConfigError);
    }
  });

  it('fills defaults for zones and parses a rate string', () => {
    const config = normalizeConfig({
      zones: [
        { kind: 'keyval', name: 'denylist', sizeBytes: 1 << 20, type: 'ip', timeoutMs: 60_000, sync: true },
        { kind: 'limit_req', name: 'perip', sizeBytes: 1 << 20, key: '$binary_remote_addr', rate: '30r/m' },
        { kind: 'sticky', name: 'sessions', sizeBytes: 1 << 20, upstream: 'app', create: ['$a'], lookup: ['$b'] },
        { kind: 'counter', name: 'hits', sizeBytes: 1 << 20, sync: true },
      ],
    });
    expect(config.zones).toEqual([
      { kind: 'keyval', name: 'denylist', sizeBytes: 1048576, module: 'http', stateFile: null, timeoutMs: 60000, type: 'ip', sync: true },
      { kind: 'limit_req', name: 'perip', sizeBytes: 1048576, key: '$binary_remote_addr', sync: false, rate: { requests: 30, per: 'm', milliRequestsPerSecond: 500 } },
      { kind: 'sticky', name: 'sessions', sizeBytes: 1048576, upstream: 'app', create: ['$a'], lookup: ['$b'], timeoutMs: 600000, header: false, sync: false },
      { kind: 'counter', name: 'hits', sizeBytes: 1048576, windowMs: 0, sync: true },
    ]);
    expect(() => normalizeConfig({ zones: [{ kind: 'counter', name: 'c', sizeBytes: 1 << 20, windowMs: 2 ** 41 }] })).toThrow(/"window" of zone "c" must be a whole number of ms/);
  });

  it('builds the zone_sync server from address strings, with nginx defaults', () => {
    const sync = normalizeConfig({
      stream: { sync: { listen: ['127.0.0.1:12345'], peers: ['10.0.0.2:12345', { address: 'cluster.local:12345', resolve: true }], resolver: { servers: ['127.0.0.1'] }, intervalMs: 200 } },
    }).stream!.sync!;
    expect(sync.listen).toEqual([{ address: { kind: 'tcp', host: '127.0.0.1', port: 12345 }, ssl: false, backlog: null, ipv6Only: true }]);
    expect(sync.peers).toEqual([
      { address: { kind: 'tcp', host: '10.0.0.2', port: 12345 }, text: '10.0.0.2:12345', resolve: false },
      { address: { kind: 'tcp', host: 'cluster.local', port: 12345 }, text: 'cluster.local:12345', resolve: true },
    ]);
    expect(sync.resolver).toEqual({ servers: [{ kind: 'tcp', host: '127.0.0.1', port: 53 }], validMs: null, ipv4: true, ipv6: true });
    expect(sync.intervalMs).toBe(200);
    expect(sync.timeoutMs).toBe(5000);
    expect(sync.buffers).toEqual({ count: 8, sizeBytes: 4096 });
    expect(sync.recvBufferSizeBytes).toBe(32768);
    expect(sync.ssl.protocols).toEqual(['TLSv1.2', 'TLSv1.3']);
  });

  it('takes a limit_req zone without a key expression, for a service that calls take(key) itself', () => {
    const config = normalizeConfig({ zones: [{ kind: 'limit_req', name: 'api', sizeBytes: 1 << 20, rate: '10r/s' }] });
    expect(config.zones).toEqual([{ kind: 'limit_req', name: 'api', sizeBytes: 1 << 20, key: null, sync: false, rate: { requests: 10, per: 's', milliRequestsPerSecond: 10_000 } }]);
    expect(normalizeConfig(config)).toEqual(config);
  });

  it('lets locations inherit the settings of their server', () => {
    const server = normalizeConfig({
      zones: [{ kind: 'limit_req', name: 'r', sizeBytes: 1 << 20, key: '$a' }],
      http: { servers: [{ listen: ['8080'], settings: { handler: '/srv/h.js', limitReqs: [{ zone: 'r', burst: 1, delay: 0 }] }, locations: [{ pattern: '/api', api: { write: true } }] }] },
    }).http!.servers[0]!;
    expect(server.listen[0]!.address).toEqual({ kind: 'tcp', host: null, port: 8080 });
    expect(server.locations[0]).toMatchObject({ modifier: 'prefix', pattern: '/api', api: { write: true }, health: null, metrics: false, dashboard: null, limitExcept: null, locations: [] });
    expect(server.locations[0]!.settings).toEqual({ ...server.settings });
    expect(server.settings.limitReqStatus).toBe(503);
  });

  it.each<[string, Parameters<typeof normalizeConfig>[0], string]>([
    ['sync without timeout', { zones: [{ kind: 'keyval', name: 'kv', sizeBytes: 1 << 20, sync: true }] }, '"keyval_zone" must have "timeout" parameter for "sync" (zone "kv")'],
    ['a zone too small', { zones: [{ kind: 'keyval', name: 'kv', sizeBytes: 1024 }] }, 'zone "kv" is too small (1024 bytes; at least 32k)'],
    ['duplicate zone', { zones: [{ kind: 'keyval', name: 'kv', sizeBytes: 1 << 20 }, { kind: 'keyval', name: 'kv', sizeBytes: 1 << 20 }] }, 'duplicate zone "kv"'],
    ['unknown keyval zone', { http: { keyvals: [{ key: '$a', variable: '$b', zone: 'nope' }] } }, 'zone "nope" is unknown in "keyval" directive'],
    ['recv buffer too small', { stream: { sync: { listen: ['1'], buffers: { count: 2, sizeBytes: 8192 }, recvBufferSizeBytes: 4096 } } }, '"zone_sync_recv_buffer_size" 4k is less than the "zone_sync_buffers" size 8k'],
    ['no listen', { stream: { sync: { listen: [] } } }, 'no "listen" is defined for the zone_sync server'],
    ['bad peer address', { stream: { sync: { listen: ['1'], peers: ['nohost'] } } }, 'no port in "nohost"'],
    ['bad rate', { zones: [{ kind: 'limit_req', name: 'r', sizeBytes: 1 << 20, key: '$a', rate: 'fast' }] }, 'invalid rate "fast"'],
    ['a location limited by a zone without a key', {
      zones: [{ kind: 'limit_req', name: 'api', sizeBytes: 1 << 20, rate: '10r/s' }],
      http: { servers: [{ locations: [{ pattern: '/', settings: { limitReqs: [{ zone: 'api', burst: 0, delay: 0 }] } }] }] },
    }, 'zone "api" has no "key" in "limit_req" directive: a location limits requests by the zone\'s key expression (as "$binary_remote_addr"); give the zone one, or call take() from code only'],
    ['a key that is not a string', { zones: [{ kind: 'limit_req', name: 'r', sizeBytes: 1 << 20, key: 1 as never }] }, 'invalid value "1" of "zones[0].key", it must be a string'],
    ['SSLv3', { stream: { sync: { listen: ['1'], ssl: { protocols: ['SSLv3' as 'TLSv1'] } } } }, 'protocol "SSLv3" in "zone_sync_ssl_protocols" is not supported'],
    ['bad worker count', { workerProcesses: 0 }, 'invalid value "0" of "worker_processes", it must be "auto" or a number greater than 0'],
    ['negative shutdown timeout', { workerShutdownTimeoutMs: -1 }, 'invalid value "-1" of "workerShutdownTimeoutMs", it must be a whole number of milliseconds'],
    ['zero interval', { stream: { sync: { listen: ['1'], intervalMs: 0 } } }, '"zone_sync_interval" must be greater than 0, got 0'],
    ['a dashboard whose API is on another host', { http: { servers: [{ locations: [{ pattern: '/d', dashboard: { api: '//evil.example/api/' } }] }] } }, 'invalid "api" parameter "//evil.example/api/" in "zonesync_dashboard" directive, it must be a path on this host, such as "/api/"'],
    ['a dashboard whose API path breaks out of its attribute', { http: { servers: [{ locations: [{ pattern: '/d', dashboard: { api: '/api/"><script>' } }] }] } }, 'invalid "api" parameter "/api/\"><script>" in "zonesync_dashboard" directive, it must be a path on this host, such as "/api/"'],
    ['two contents in a location', { http: { servers: [{ locations: [{ pattern: '/x', health: 'live', metrics: true }] }] } }, '"zonesync_health" and "zonesync_metrics" cannot both be in location "/x"'],
  ])('refuses %s with a ConfigError', (_, input, message) => {
    let caught: unknown;
    try {
      normalizeConfig(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(message);
    expect((caught as ConfigError).line).toBeUndefined();
  });
});
