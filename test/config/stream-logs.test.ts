// The zone_sync server's logs in the configuration: log_format (stream level), access_log
// and error_log (stream and server levels, the server's winning), `off`, and the errors
// nginx gives (an unknown variable or format) or zonesync adds (what it does not write).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../dist/config/index.js';

const FILE = '/etc/zonesync/zonesync.conf';

function stream(streamLevel: string[], serverLevel: string[]): string {
  return ['stream {', ...streamLevel, '  server {', '    listen 12345;', '    zone_sync;', ...serverLevel, '  }', '}'].join('\n');
}

const sync = (text: string) => parseConfigText(text, FILE).stream!.sync!;

describe('stream logs', () => {
  it('reads a format into literal text and variables, with its escaping', () => {
    const s = sync(stream([`  log_format basic escape=json '$remote_addr [$time_local] ' '\${status}x $bytes_sent';`, '  access_log /var/log/sync.log basic;'], []));
    expect(s.accessLogs).toHaveLength(1);
    expect(s.accessLogs[0]!.path).toBe('/var/log/sync.log');
    expect(s.accessLogs[0]!.format).toMatchObject({
      name: 'basic', escape: 'json',
      parts: [{ variable: 'remote_addr' }, { text: ' [' }, { variable: 'time_local' }, { text: '] ' }, { variable: 'status' }, { text: 'x ' }, { variable: 'bytes_sent' }],
    });
  });

  it.each<[string, string[], string[], string[]]>([
    ['stream level, inherited', ['  access_log /a.log f;'], [], ['/a.log']],
    ['server level wins', ['  access_log /a.log f;'], ['    access_log /b.log f;', '    access_log /c.log f buffer=32k flush=5s;'], ['/b.log', '/c.log']],
    ['off at the server cancels the stream level', ['  access_log /a.log f;'], ['    access_log off;'], []],
    ['off cancels its own level', ['  access_log /a.log f;', '  access_log off;'], [], []],
    ['none', [], [], []],
  ])('access_log: %s', (_what, streamLevel, serverLevel, paths) => {
    const s = sync(stream(["  log_format f '$status';", ...streamLevel], serverLevel));
    expect(s.accessLogs.map((l) => l.path)).toEqual(paths);
  });

  it('error_log: the server\'s, else the stream block\'s, else none (the main error_log)', () => {
    expect(sync(stream(['  error_log /s.log info;'], ['    error_log /v.log warn;'])).errorLog).toEqual({ file: '/v.log', level: 'warn' });
    expect(sync(stream(['  error_log /s.log;'], [])).errorLog).toEqual({ file: '/s.log', level: 'error' });
    expect(sync(stream([], [])).errorLog).toBeNull();
  });

  it.each<[string, string, string]>([
    ['an unknown variable', stream(["  log_format f '$request_uri';"], []), 'unknown "request_uri" variable'],
    ['an unknown format', stream([], ['    access_log /a.log nope;']), 'unknown log format "nope"'],
    ['no format', stream([], ['    access_log /a.log;']), 'log format is not specified in "access_log" directive'],
    ['gzip', stream(["  log_format f '$status';"], ['    access_log /a.log f gzip;']), '"gzip" parameter of "access_log" is not supported by zonesync'],
    ['if=', stream(["  log_format f '$status';"], ['    access_log /a.log f if=$status;']), '"if" parameter of "access_log" is not supported by zonesync'],
    ['a variable in the path', stream(["  log_format f '$status';"], ['    access_log /a-$pid.log f;']), 'variables in the path of "access_log" are not supported by zonesync'],
    ['syslog', stream(["  log_format f '$status';"], ['    access_log syslog:server=x f;']), '"syslog:" logging is not supported by zonesync in "access_log" directive'],
    ['a duplicate format', stream(["  log_format f '$status';", "  log_format f '$pid';"], []), 'duplicate "log_format" name "f"'],
    ['a bad escape', stream(["  log_format f escape=html '$status';"], []), 'invalid value "html" in "log_format" directive'],
    ['log_format in a server', stream([], ["    log_format f '$status';"]), '"log_format" directive is not allowed here'],
  ])('refuses %s', (_what, text, message) => {
    let error: unknown;
    try {
      parseConfigText(text, FILE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });
});
