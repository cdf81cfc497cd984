import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkPassword, createApiHandler, RequestGuard, parseBasicAuth, parseHtpasswd, passwordScheme,
} from '../../dist/api/index.js';
import { createAdminRouter } from './admin-router.js';
import { parseConfigText } from '../../dist/config/index.js';
import { KeyvalZone } from '../../dist/zones/index.js';
import { basic, errorOf, json, request, serve, type Served } from './helpers.js';

// Hashes are made by other implementations: openssl passwd, perl's crypt() (the C
// library's crypt(3)) and node:crypto; never by the code under test.
const openssl = (...args: string[]): string => execFileSync('openssl', ['passwd', ...args]).toString().trim();
const systemCrypt = (password: string, salt: string): string =>
  execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, salt]).toString();
const sha1 = (data: Buffer): Buffer => createHash('sha1').update(data).digest();

interface User { name: string; password: string; hash: string; scheme: string }

function makeUsers(): User[] {
  const salt = randomBytes(8);
  const users: [string, string, string, string][] = [
    ['plain', 'p-plain', '{PLAIN}p-plain', 'plain'],
    ['sha', 'p-sha', `{SHA}${sha1(Buffer.from('p-sha')).toString('base64')}`, 'sha'],
    ['ssha', 'p-ssha', `{SSHA}${Buffer.concat([sha1(Buffer.concat([Buffer.from('p-ssha'), salt])), salt]).toString('base64')}`, 'ssha'],
    ['apr1', 'p-apr1', openssl('-apr1', 'p-apr1'), 'apr1'],
    ['md5', 'p-md5', openssl('-1', 'p-md5'), 'md5-crypt'],
    ['sha256', 'p-sha256', openssl('-5', 'p-sha256'), 'sha256-crypt'],
    ['sha512', 'p-sha512', openssl('-6', 'p-sha512'), 'sha512-crypt'],
    ['des', 'p-des', systemCrypt('p-des', 'xy'), 'des-crypt'],
    ['юзер', 'пароль 🔑', openssl('-apr1', 'пароль 🔑'), 'apr1'],
    ['long', 'a password longer than sixteen bytes, for the MD5 and SHA loops', openssl('-6', 'a password longer than sixteen bytes, for the MD5 and SHA loops'), 'sha512-crypt'],
  ];
  return users.map(([name, password, hash, scheme]) => ({ name, password, hash, scheme }));
}

describe('password hashes (the formats nginx accepts)', () => {
  const users = makeUsers();

  it.each(users.map((u) => [u.scheme, u.name, u]))('%s (%s): the right password matches, others do not', (_s, _n, u) => {
    const user = u as User;
    expect(passwordScheme(user.hash)).toBe(user.scheme);
    expect(checkPassword(Buffer.from(user.password, 'utf8'), user.hash)).toBe(true);
    expect(checkPassword(Buffer.from(`${user.password}x`, 'utf8'), user.hash)).toBe(false);
    expect(checkPassword(Buffer.from('', 'utf8'), user.hash)).toBe(false);
  });

  it('SHA-crypt with rounds=, from the specification\'s test vectors', () => {
    expect(checkPassword(Buffer.from('Hello world!'), '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA')).toBe(true);
    expect(checkPassword(Buffer.from('Hello world!'), '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.')).toBe(true);
    // rounds=10 is raised to the minimum of 1000, and the hash says so
    expect(checkPassword(Buffer.from('the minimum number is still observed'), '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.')).toBe(true);
    expect(checkPassword(Buffer.from('Hello world'), '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA')).toBe(false);
  });

  it('unsupported or broken hashes never match', () => {
    const bcrypt = '$2y$05$c4WoMPo3SXsafkva.HHa6uXQZWr7oboPiC2bT/r7q1BB8I2s0BRqC';
    expect(passwordScheme(bcrypt)).toBeNull();
    expect(checkPassword(Buffer.from('x'), bcrypt)).toBe(false);
    expect(checkPassword(Buffer.from('x'), '')).toBe(false);
    expect(checkPassword(Buffer.from('x'), '{SSHA}AAAA')).toBe(false);
    expect(checkPassword(Buffer.from(''), '{SHA}')).toBe(false);
  });
});

describe('the user file and the Authorization header', () => {
  it('parses logins, comments, CRLF and a trailing comment field; the first line of a login wins', () => {
    const users = parseHtpasswd('# comment\r\nalice:{PLAIN}a:Alice Smith\r\n\r\nbob:{PLAIN}b\nalice:{PLAIN}second\nnocolon\n:{PLAIN}nologin\n');
    expect([...users]).toEqual([['alice', '{PLAIN}a'], ['bob', '{PLAIN}b']]);
  });

  it('reads Basic credentials: the user up to the first colon, the password may hold colons', () => {
    const c = parseBasicAuth(`Basic ${Buffer.from('user:pa:ss').toString('base64')}`)!;
    expect(c.user).toBe('user');
    expect(Buffer.from(c.password).toString()).toBe('pa:ss');
    expect(parseBasicAuth(`bAsIc   ${Buffer.from('u:').toString('base64')}`)!.user).toBe('u');
    expect(parseBasicAuth(undefined)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth('Basic !!!')).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasicAuth(`Basic ${Buffer.from(':nouser').toString('base64')}`)).toBeNull();
  });
});

describe('auth_basic on the methods limit_except names, on a real server', () => {
  const users = makeUsers();
  const dir = mkdtempSync(join(tmpdir(), 'zonesync-auth-'));
  const passwd = join(dir, 'passwd');
  const zone = KeyvalZone.create({ name: 'one', size: '1m' });
  const keyvals = { http: new Map([['one', zone]]), stream: new Map() };
  let server: Served;

  beforeAll(async () => {
    writeFileSync(passwd, `# users of the API\n${users.map((u) => `${u.name}:${u.hash}`).join('\n')}\nbc:$2y$05$c4WoMPo3SXsafkva.HHa6uXQZWr7oboPiC2bT/r7q1BB8I2s0BRqC\n`);
    const config = parseConfigText(`
      http {
        server {
          listen 127.0.0.1:8080;
          location /api {
            limit_except GET { auth_basic "NGINX Plus API"; auth_basic_user_file passwd; }
            api write=on;
            allow 127.0.0.1;
            deny  all;
          }
          location /denied {
            limit_except GET { auth_basic "x"; auth_basic_user_file passwd; }
            api write=on;
            deny 127.0.0.1;
          }
          location /nofile { api write=on; auth_basic "gone"; auth_basic_user_file missing-file; }
        }
      }`, join(dir, 'zonesync.conf'));
    const routers = config.http!.servers[0]!.locations.map((location) => createAdminRouter({
      apiPrefix: location.pattern,
      api: createApiHandler({ keyvals, write: true, guard: new RequestGuard(location) }),
    }));
    server = await serve(async (req, res) => {
      for (const route of routers) if (await route(req, res)) return true;
      return false;
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (key: string, headers: Record<string, string> = {}) =>
    request(server.port, '/api/9/http/keyvals/one', { method: 'POST', body: json({ [key]: 'v' }), headers });

  it('GET needs no credentials; POST without them is 401 with the realm', async () => {
    expect((await request(server.port, '/api/9/http/keyvals/one')).status).toBe(200);
    const r = await post('anon');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="NGINX Plus API"');
    expect(r.headers['content-type']).toBe('application/json');
    expect(errorOf(r).code).toBe('Unauthorized');
    expect(zone.get('anon')).toBeUndefined();
  });

  it('every hash format lets its user in with the right password, and only then', async () => {
    for (const u of users) {
      const wrong = await post(`wrong-${u.name}`, basic(u.name, `${u.password}!`));
      expect(wrong.status, `${u.scheme} with a wrong password`).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Basic realm="NGINX Plus API"');
      const right = await post(`key-${u.name}`, basic(u.name, u.password));
      expect(right.status, `${u.scheme} with the right password`).toBe(201);
      expect(zone.get(`key-${u.name}`)).toBe('v');
    }
  });

  it('unknown users, other users\' passwords, unsupported hashes and garbage headers are 401', async () => {
    expect((await post('k1', basic('nobody', 'p-plain'))).status).toBe(401);
    expect((await post('k2', basic('sha', 'p-plain'))).status).toBe(401);
    expect((await post('k3', basic('bc', 'x'))).status).toBe(401);
    expect((await post('k4', { Authorization: 'Basic %%%' })).status).toBe(401);
    expect((await post('k5', { Authorization: 'Digest username="plain"' })).status).toBe(401);
    expect(zone.entries().filter((e) => /^k\d$/.test(e.key))).toEqual([]);
  });

  it('a changed user file applies at once, without a restart', async () => {
    expect((await post('late', basic('late', 'p-late'))).status).toBe(401);
    writeFileSync(passwd, `late:${openssl('-apr1', 'p-late')}\n`);
    expect((await post('late', basic('late', 'p-late'))).status).toBe(201);
    expect((await post('late2', basic('plain', 'p-plain'))).status).toBe(401);
  });

  it('a denied address gets 403 before being asked for credentials', async () => {
    const r = await request(server.port, '/denied/9/http/keyvals/one', { method: 'POST', body: json({ d: '1' }) });
    expect(r.status).toBe(403);
    expect(r.headers['www-authenticate']).toBeUndefined();
  });

  it('an unreadable user file is 500, never a way in', async () => {
    const r = await request(server.port, '/nofile/9/http/keyvals/one', { headers: basic('plain', 'p-plain') });
    expect(r.status).toBe(500);
    expect(errorOf(r).code).toBe('InternalError');
  });
});
