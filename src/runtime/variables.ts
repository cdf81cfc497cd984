import type { HandlerRequest } from './handler-types.js';

/**
 * The nginx variables zonesync evaluates in `limit_req_zone KEY`, `keyval KEY` and
 * `sticky learn create=/lookup=`: $remote_addr, $binary_remote_addr (the same address, as
 * text), $uri, $request_uri, $args, $http_NAME, $arg_NAME, $cookie_NAME, and literal text
 * around them. An unknown variable evaluates to '' (nginx refuses them at load time; the
 * configuration layer checks names).
 */
export function evaluate(template: string, req: HandlerRequest): string {
  return template.replace(/\$(\{\w+\}|\w+)/g, (_, raw: string) => variable(raw.replace(/[{}]/g, ''), req));
}

function variable(name: string, req: HandlerRequest): string {
  const q = req.url.indexOf('?');
  switch (name) {
    case 'remote_addr':
    case 'binary_remote_addr':
      return req.remoteAddress;
    case 'uri':
      return q < 0 ? req.url : req.url.slice(0, q);
    case 'request_uri':
      return req.url;
    case 'args':
      return q < 0 ? '' : req.url.slice(q + 1);
  }
  if (name.startsWith('http_')) return header(req, name.slice(5).replace(/_/g, '-'));
  if (name.startsWith('arg_')) return q < 0 ? '' : new URLSearchParams(req.url.slice(q + 1)).get(name.slice(4)) ?? '';
  if (name.startsWith('cookie_')) return cookie(req, name.slice(7));
  return '';
}

function header(req: HandlerRequest, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

export function cookie(req: HandlerRequest, name: string): string {
  for (const part of header(req, 'cookie').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}
