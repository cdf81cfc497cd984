import type { HandlerRequest } from './handler-types.js';

/** What of a request the variables read: a HandlerRequest has it, and so has the front end before it builds one. */
export type RequestFacts = Pick<HandlerRequest, 'url' | 'headers' | 'remoteAddress'>;

/** A template compiled once: evaluating it walks its parts, with no parsing per request. */
export type CompiledTemplate = (req: RequestFacts) => string;

/**
 * The nginx variables zonesync evaluates in `limit_req_zone KEY`, `keyval KEY` and
 * `sticky learn create=/lookup=`: $remote_addr, $binary_remote_addr (the same address, as
 * text), $uri, $request_uri, $args, $http_NAME, $arg_NAME, $cookie_NAME, and literal text
 * around them. An unknown variable evaluates to '' (nginx refuses them at load time; the
 * configuration layer checks names).
 */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: Array<string | CompiledTemplate> = [];
  let last = 0;
  for (const m of template.matchAll(/\$(\{\w+\}|\w+)/g)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(variable(m[1]!.replace(/[{}]/g, '')));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.length === 0) return () => '';
  const only = parts[0]!;
  if (parts.length === 1) return typeof only === 'string' ? () => only : only;
  return (req) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(req);
    return out;
  };
}

function variable(name: string): CompiledTemplate {
  switch (name) {
    case 'remote_addr':
    case 'binary_remote_addr':
      return (req) => req.remoteAddress;
    case 'uri':
      return (req) => {
        const q = req.url.indexOf('?');
        return q < 0 ? req.url : req.url.slice(0, q);
      };
    case 'request_uri':
      return (req) => req.url;
    case 'args':
      return (req) => {
        const q = req.url.indexOf('?');
        return q < 0 ? '' : req.url.slice(q + 1);
      };
  }
  if (name.startsWith('http_')) {
    const headerName = name.slice(5).replace(/_/g, '-').toLowerCase();
    return (req) => header(req, headerName);
  }
  if (name.startsWith('arg_')) {
    const arg = name.slice(4);
    return (req) => {
      const q = req.url.indexOf('?');
      return q < 0 ? '' : new URLSearchParams(req.url.slice(q + 1)).get(arg) ?? '';
    };
  }
  if (name.startsWith('cookie_')) {
    const cookieName = name.slice(7);
    return (req) => cookie(req, cookieName);
  }
  return () => '';
}

function header(req: Pick<RequestFacts, 'headers'>, name: string): string {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

export function cookie(req: Pick<RequestFacts, 'headers'>, name: string): string {
  for (const part of header(req, 'cookie').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}
