import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyvalZone, StickyZone } from '../../dist/index.js';
import { Variables, type RequestFacts } from '../../dist/gateway/variables.js';
import { StickyLearn } from '../../dist/gateway/sticky-learn.js';

const req = (url: string, headers: Record<string, string | string[]> = {}, remoteAddress = '10.1.2.3'): RequestFacts => ({
  url, headers, remoteAddress, method: 'GET', remotePort: 40000,
});

describe('nginx variables', () => {
  const v = new Variables();
  it.each<[string, RequestFacts, string]>([
    ['$remote_addr $binary_remote_addr $remote_port', req('/'), '10.1.2.3 10.1.2.3 40000'],
    ['$uri|$args|$query_string|$request_uri', req('/a/b?x=1&y=2'), '/a/b|x=1&y=2|x=1&y=2|/a/b?x=1&y=2'],
    ['[$arg_x][$arg_Y][$arg_z]', req('/?x=a%20b&y=2&z'), '[a%20b][2][]'],
    ['$http_x_forwarded_for/$http_user_agent', req('/', { 'x-forwarded-for': '1.1.1.1', 'user-agent': 'ua' }), '1.1.1.1/ua'],
    ['$cookie_sid,$cookie_SID,$cookie_none', req('/', { cookie: 'a=1; SID=abc; b=2' }), 'abc,abc,'],
    ['$host', req('/', { host: 'Example.COM:8080' }), 'example.com'],
    ['$host', req('/', { host: '[::1]:8080' }), '[::1]'],
    ['$proxy_add_x_forwarded_for', req('/', { 'x-forwarded-for': '1.1.1.1' }), '1.1.1.1, 10.1.2.3'],
    ['$proxy_add_x_forwarded_for', req('/'), '10.1.2.3'],
    ['$request_method $scheme', req('/'), 'GET http'],
    ['${uri}x $unknown_variable.', req('/p'), '/px .'],
    ['no variables', req('/'), 'no variables'],
  ])('%s', (template, facts, expected) => {
    expect(v.compile(template)(facts)).toBe(expected);
  });

  it('upstream variables read the answer: $upstream_cookie_NAME from Set-Cookie fields, in any case', () => {
    const upstream = { status: 201, address: '127.0.0.1:9001', headers: { 'set-cookie': ['a=1; Path=/', 'EXAMPLECOOKIE=xyz; HttpOnly'], 'x-app': 'v' } };
    const t = v.compile('$upstream_cookie_examplecookie $upstream_cookie_a $upstream_http_x_app $upstream_status $upstream_addr $proxy_host');
    expect(t(req('/'), { proxyHost: 'backend', upstream })).toBe('xyz 1 v 201 127.0.0.1:9001 backend');
    expect(t(req('/'))).toBe('     ');
  });

  it('a compiled template gives what evaluating it afresh gives (property)', () => {
    // Braced names, so that a name followed by letters stays the same name.
    const names = ['${uri}', '${args}', '${arg_a}', '${cookie_c}', '${http_h}', '${remote_addr}', 'lit', '-', '${host}'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...names), { maxLength: 6 }), fc.webPath(), fc.string(), (parts, path, value) => {
      const template = parts.join('');
      const facts = req(`${path}?a=${encodeURIComponent(value)}`, { cookie: `c=${encodeURIComponent(value)}`, h: value, host: 'h' });
      expect(v.compile(template)(facts)).toBe(parts.map((p) => new Variables().compile(p)(facts)).join(''));
    }));
  });
});

describe('$cookie_NAME', () => {
  /** The reading as stated: the Cookie field split at ';', the first pair whose trimmed name matches in lower case, its value trimmed. */
  const model = (field: string, name: string): string => {
    for (const part of field.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === name.toLowerCase()) return part.slice(eq + 1).trim();
    }
    return '';
  };
  // Pieces that make names of every length near the one wanted, in any case, with the
  // separators, the spaces trim removes, and characters whose lower case differs in length or is ASCII.
  const piece = fc.constantFrom(';', '=', ' ', '\t', '\u00a0', 'sid', 'SID', 'Sid', 'si', 'sidx', 'x', 'İ', 'K', 'ı', ',', '"');
  const field = fc.oneof(fc.array(piece, { maxLength: 16 }).map((p) => p.join('')), fc.string({ maxLength: 24 }));

  it('reads what splitting the field reads, for any field and a name of any case (property)', () => {
    const v = new Variables();
    fc.assert(fc.property(field, fc.constantFrom('sid', 'SID', 'k', 'i'), (text, name) => {
      expect(v.compile(`\${cookie_${name}}`)(req('/', { cookie: text }))).toBe(model(text, name));
    }), { numRuns: 2000 });
  });

  it.each<[string, string, string]>([
    ['the first of two', 'sid=1; sid=2', '1'],
    ['a name in another case, spaces around', '  SiD\t=  v ; a=b', 'v'],
    ['a pair without "=" before it', 'sid; a; sid=3', '3'],
    ['a value with "="', 'sid=a=b', 'a=b'],
    ['an empty value', 'sid=; x=1', ''],
    ['no pair of that name', 'sidx=1; si=2', ''],
  ])('%s', (_what, cookie, expected) => {
    expect(new Variables().compile('$cookie_sid')(req('/', { cookie }))).toBe(expected);
  });
});

describe('keyval variables', () => {
  const one = KeyvalZone.create({ name: 'one', size: '1m' });
  const ips = KeyvalZone.create({ name: 'ips', size: '1m', type: 'ip' });
  const paths = KeyvalZone.create({ name: 'paths', size: '1m', type: 'prefix' });
  one.set('hello', 'world');
  ips.set('10.0.0.0/8', 'internal');
  paths.set('/api/', 'api');
  const v = new Variables([
    { variable: '$text', key: '$arg_text', zone: one },
    { variable: '$net', key: '$remote_addr', zone: ips },
    { variable: '$route', key: '$uri', zone: paths },
    { variable: '$loop', key: '$loop', zone: one },
  ]);

  it.each<[string, RequestFacts, string]>([
    ['$text', req('/?text=hello'), 'world'],
    ['$text', req('/?text=absent'), ''],
    ['$text', req('/'), ''],
    ['$net', req('/'), 'internal'],
    ['$net', req('/', {}, '192.168.0.1'), ''],
    ['$route', req('/api/v1/x'), 'api'],
    ['$route', req('/web'), ''],
    ['$loop', req('/'), ''],
  ])('%s for %j', (template, facts, expected) => {
    expect(v.compile(template)(facts)).toBe(expected);
  });

  it('handlers read them by name (ctx.vars.get)', () => {
    expect(v.value('$text', req('/?text=hello'))).toBe('world');
    expect(v.value('text', req('/?text=hello'))).toBe('world');
    expect(v.value('arg_text', req('/?text=hello'))).toBe('hello');
  });

  it('a key the zone cannot hold reads as no value', () => {
    expect(v.compile('$net')(req('/', {}, 'not-an-address'))).toBe('');
  });
});

describe('sticky learn', () => {
  const config = { create: ['$upstream_cookie_sid'], lookup: ['$cookie_sid'], header: false };
  const answer = (setCookie?: string) => ({ upstream: { status: 200, address: 'x', headers: setCookie === undefined ? {} : { 'set-cookie': setCookie } } });

  it('learns a session the upstream created, and routes the request that brings it back', () => {
    const learn = new StickyLearn(StickyZone.create({ name: 's1', size: '1m' }), config, new Variables());
    const first = req('/');
    expect(learn.sessionOf(first)).toBe('');
    learn.learn(first, answer('SID=abc; Path=/'), '', '127.0.0.1:9001');
    const back = req('/', { cookie: 'sid=abc' });
    expect(learn.serverOf(learn.sessionOf(back))).toBe('127.0.0.1:9001');
  });

  it('an unknown session the upstream did not create is not learned; a known one another server answered moves there', () => {
    const learn = new StickyLearn(StickyZone.create({ name: 's2', size: '1m' }), config, new Variables());
    const stranger = req('/', { cookie: 'sid=forged' });
    learn.learn(stranger, answer(), 'forged', 'b:1');
    expect(learn.serverOf('forged')).toBeUndefined();
    learn.learn(req('/'), answer('sid=s1'), '', 'a:1');
    learn.learn(req('/', { cookie: 'sid=s1' }), answer(), 's1', 'b:1');
    expect(learn.serverOf('s1')).toBe('b:1');
  });

  it('the first non-empty of several create= and lookup= variables is used', () => {
    const several = { create: ['$upstream_cookie_a', '$upstream_http_x_session'], lookup: ['$cookie_a', '$arg_session'], header: true };
    const learn = new StickyLearn(StickyZone.create({ name: 's3', size: '1m' }), several, new Variables());
    learn.learn(req('/'), { upstream: { status: 200, address: 'x', headers: { 'x-session': 'h1' } } }, '', 'c:1');
    expect(learn.serverOf(learn.sessionOf(req('/?session=h1')))).toBe('c:1');
    expect(learn.sessionOf(req('/?session=h1', { cookie: 'a=first' }))).toBe('first');
    expect(learn.atHeader).toBe(true);
  });

  it('session ids of any length are kept (long ones by digest)', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !/[;,\s=]/.test(s)), (id) => {
      const learn = new StickyLearn(StickyZone.create({ name: 's4', size: '1m' }), config, new Variables());
      learn.learn(req('/'), answer(`sid=${id}`), '', 'a:1');
      expect(learn.serverOf(id)).toBe('a:1');
    }), { numRuns: 50 });
  });
});
