// The per-request settings of http, server and location, written at one level of a small
// configuration and read at each, as nginx merges them; and the same settings written in code.
import { expect } from 'vitest';
import { ConfigError, normalizeConfig, parseConfigText } from '../../dist/config/index.js';
import type { HttpRequestSettings } from '../../dist/config/types.js';
import { FILE } from './config-error.js';

export interface Levels { http?: string; server?: string; location?: string }

/* http (line 2), server (line 4) and location (line 6) levels, each with its own directives. */
export function levelsText(levels: Levels): string {
  return [
    'http {', `  ${levels.http ?? ''}`,
    '  server {', `    ${levels.server ?? ''}`, '    listen 127.0.0.1:8081;',
    `    location / { ${levels.location ?? ''} }`, '    location /other { }',
    '  }',
    '}',
  ].join('\n');
}

/** What `pick` reads of the settings of the server, of its location `/` and of its other location. */
export function settingsAtLevels<T>(levels: Levels, pick: (s: HttpRequestSettings) => T): { server: T; location: T; other: T } {
  const server = parseConfigText(levelsText(levels), FILE, { onWarning: () => {} }).http!.servers[0]!;
  return { server: pick(server.settings), location: pick(server.locations[0]!.settings), other: pick(server.locations[1]!.settings) };
}

/** `directives` give `want` at each level they are written in and below it, `defaults` elsewhere. */
export function expectAtEachLevel<T>(directives: string, pick: (s: HttpRequestSettings) => T, defaults: T, want: T): void {
  // Written in http: every level has it. In server: the server and its locations. In a location: that one only.
  expect(settingsAtLevels({ http: directives }, pick)).toEqual({ server: want, location: want, other: want });
  expect(settingsAtLevels({ server: directives }, pick)).toEqual({ server: want, location: want, other: want });
  expect(settingsAtLevels({ location: directives }, pick)).toEqual({ server: defaults, location: want, other: defaults });
}

/** A server's `settings` written in code are refused, the error naming `field`. */
export function expectRefusedInCode(settings: object, field: string): void {
  const input = { http: { servers: [{ listen: ['127.0.0.1:8080'], settings }] } } as Parameters<typeof normalizeConfig>[0];
  expect(() => normalizeConfig(input)).toThrow(ConfigError);
  expect(() => normalizeConfig(input)).toThrow(`"http.servers[0].settings.${field}"`);
}

/** What `pick` reads of two locations written in code under a server with `server` settings: one with `location` settings, one with none. */
export function settingsInCode<T>(server: object, location: object, pick: (s: HttpRequestSettings) => T): { written: T; other: T } {
  const config = normalizeConfig({
    http: { servers: [{ listen: ['127.0.0.1:8080'], settings: server, locations: [{ pattern: '/', settings: location }, { pattern: '/b' }] }] },
  } as Parameters<typeof normalizeConfig>[0]);
  const [written, other] = config.http!.servers[0]!.locations;
  return { written: pick(written!.settings), other: pick(other!.settings) };
}
