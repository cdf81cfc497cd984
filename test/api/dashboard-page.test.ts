// The dashboard page as the node serves it: one document made of the shipped files, small,
// with nothing fetched from elsewhere, a Content-Security-Policy that names exactly the
// scripts and style it inlines, and the API path written into it as an attribute's text.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, Dashboard } from '../../dist/api/dashboard.js';

const PAGE_BYTES_MAX = 200 * 1024;
const dashboard = Dashboard.load();
const page = dashboard.page('/api/');

/** What the page's scripts and styles are, as the browser will hash them. */
function inlined(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The value of the one zonesync-api meta tag, its character references decoded. */
function apiOf(html: string): string {
  const m = /<meta name="zonesync-api" content="([^"]*)">/.exec(html);
  if (m === null) throw new Error('no zonesync-api meta tag');
  return m[1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

describe('the dashboard page', () => {
  it(`is one document under ${PAGE_BYTES_MAX / 1024} KB, and so is the shipped directory`, () => {
    expect(Buffer.byteLength(page.html)).toBeLessThan(PAGE_BYTES_MAX);
    expect(page.headers['Content-Length']).toBe(String(Buffer.byteLength(page.html)));
    const dir = DASHBOARD_DIR.pathname;
    const shipped = readdirSync(dir).filter((f) => /\.(html|css|js)$/.test(f)).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(shipped).toBeLessThan(PAGE_BYTES_MAX);
  });

  it('inlines every script and style sheet the template names, and fetches nothing else', () => {
    const template = readFileSync(new URL('index.html', DASHBOARD_DIR), 'utf8');
    const named = [...template.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(5);
    const scripts = inlined(page.html, 'script');
    expect(scripts).toEqual(named.map((name) => readFileSync(new URL(name, DASHBOARD_DIR), 'utf8')));
    expect(inlined(page.html, 'style')).toEqual([readFileSync(new URL('dashboard.css', DASHBOARD_DIR), 'utf8')]);
    expect(page.html).not.toMatch(/\b(src|href)="(?!data:)/);
    // No address of another host anywhere (no CDN, no fonts): the SVG namespace is a name, never fetched.
    const urls = [...page.html.matchAll(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]);
    expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
  });

  it('lets only its own scripts and style run, and talk only to its own host', () => {
    const csp = Object.fromEntries(page.headers['Content-Security-Policy']!.split('; ').map((d) => {
      const [name, ...values] = d.split(' ');
      return [name!, values];
    }));
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(inlined(page.html, 'script').map(sha256));
    expect(csp['style-src']).toEqual(inlined(page.html, 'style').map(sha256));
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('holds any API path as the text of its attribute, and nothing else changes', () => {
    const rest = (html: string) => html.replace(/<meta name="zonesync-api" content="[^"]*">/, '');
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (api) => {
      const html = dashboard.page(api).html;
      expect(apiOf(html)).toBe(api);
      expect(rest(html)).toBe(rest(page.html));
    }));
    expect(apiOf(page.html)).toBe('/api/');
  });
});

describe('a dashboard directory that cannot make the page is refused when loaded', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the shipped directory with one file changed (or removed, for null). */
  function brokenCopy(file: string, change: ((text: string) => string) | null): URL {
    const dir = mkdtempSync(join(tmpdir(), 'zonesync-dashboard-'));
    dirs.push(dir);
    cpSync(DASHBOARD_DIR.pathname, dir, { recursive: true });
    const path = join(dir, file);
    if (change === null) rmSync(path);
    else writeFileSync(path, change(readFileSync(path, 'utf8')));
    return pathToFileURL(`${dir}/`);
  }

  it.each([
    ['a script is missing', 'main.js', null, /main\.js/],
    ['a script would close its element', 'format.js', (t: string) => `${t}\n// </SCRIPT>\n`, /format\.js holds "<\/script"/],
    ['the style sheet would close its element', 'dashboard.css', (t: string) => `${t}\n/* </style> */\n`, /dashboard\.css holds "<\/style"/],
    ['a script is named in a way not inlined', 'index.html', (t: string) => t.replace('<script src="main.js">', '<script defer src="main.js">'), /names a file it does not inline/],
    ['the API marker is missing', 'index.html', (t: string) => t.replace('<meta name="zonesync-api" content="/api/">', ''), /must hold <meta name="zonesync-api"/],
  ] as const)('%s', (_, file, change, message) => {
    expect(() => Dashboard.load(brokenCopy(file, change))).toThrow(message);
  });
});
