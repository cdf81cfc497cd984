// The live dashboard of `zonesync_dashboard` locations. The package's dashboard/ directory
// holds an HTML template, its style sheet and its scripts; they are made into one document
// here, the style and scripts inlined, so that the page is a single request (it works in an
// exact-match location, and needs nothing but the node: no CDN, no internet). The page
// reads the API from the browser, at the path the directive names (`api=`, default
// `/api/`), so the API location's own allow/deny and auth_basic apply to what it shows.
//
// A Content-Security-Policy lets only these inlined scripts run (by their SHA-256) and lets
// the page talk only to its own host: should a value shown on the page ever reach the
// document as markup, nothing in it could run.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readOnly, type RouteHandler } from './health.js';
import type { RequestGuard } from './request-guard.js';

/** The directory `npm pack` ships beside dist/. */
export const DASHBOARD_DIR: URL = new URL('../../dashboard/', import.meta.url);

/** The template's marker that the API path replaces: the one place the page reads it from. */
const API_META = '<meta name="zonesync-api" content="/api/">';
const SCRIPT_TAG = /<script src="([a-z0-9-]+\.js)"><\/script>/g;
const STYLE_TAG = /<link rel="stylesheet" href="([a-z0-9-]+\.css)">/g;

export interface DashboardPage {
  /** The whole document: one request shows the page. */
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The template with its files inlined, read once. `page(api)` fills in the API path;
 * `handler(api)` answers every GET and HEAD of a location with that page (else 405).
 */
export class Dashboard {
  private readonly template: string;
  private readonly csp: string;
  private readonly pages = new Map<string, DashboardPage>();

  private constructor(template: string, csp: string) {
    this.template = template;
    this.csp = csp;
  }

  /** Reads dashboard/ now, so that a missing or broken file stops the node at start, not a request later. */
  static load(dir: URL = DASHBOARD_DIR): Dashboard {
    const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
    const scripts: string[] = [];
    const styles: string[] = [];
    let html = read('index.html');
    if (html.split(API_META).length !== 2) throw new Error(`dashboard/index.html must hold ${API_META} once`);
    html = html.replace(STYLE_TAG, (_tag, name: string) => {
      const css = closedBy(read(name), '</style', name);
      styles.push(css);
      return `<style>${css}</style>`;
    });
    html = html.replace(SCRIPT_TAG, (_tag, name: string) => {
      const js = closedBy(read(name), '</script', name);
      scripts.push(js);
      return `<script>${js}</script>`;
    });
    if (/<(script|link)\b[^>]*\b(src|href)=(?!"data:)/i.test(html)) {
      throw new Error('dashboard/index.html names a file it does not inline: the page must be one document');
    }
    const hashes = (parts: string[]) => parts.map((p) => `'sha256-${createHash('sha256').update(p).digest('base64')}'`).join(' ');
    const csp = [
      "default-src 'none'", `script-src ${hashes(scripts)}`, `style-src ${hashes(styles)}`, "connect-src 'self'",
      "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].join('; ');
    return new Dashboard(html, csp);
  }

  page(api: string): DashboardPage {
    let page = this.pages.get(api);
    if (page === undefined) {
      const html = this.template.replace(API_META, () => `<meta name="zonesync-api" content="${escapeAttribute(api)}">`);
      page = {
        html,
        headers: {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(html)),
          'Content-Security-Policy': this.csp,
          'X-Content-Type-Options': 'nosniff',
          'X-Frame-Options': 'DENY',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-cache',
        },
      };
      this.pages.set(api, page);
    }
    return page;
  }

  handler(api: string, guard?: RequestGuard): RouteHandler {
    return readOnly(guard, (_req: IncomingMessage, res: ServerResponse) => {
      const page = this.page(api);
      res.writeHead(200, page.headers);
      res.end(page.html);
    });
  }
}

/** An inlined file must not end its own element early. */
function closedBy(text: string, closing: string, name: string): string {
  if (text.toLowerCase().includes(closing)) throw new Error(`dashboard/${name} holds "${closing}", which would end its inlined element`);
  return text;
}

export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
