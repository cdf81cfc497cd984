// Who may use a location: allow/deny first (403), then basic auth (401), both required, as
// nginx's default "satisfy all" runs ngx_http_access_module before auth_basic. With
// limit_except, a method the directive lists uses the location's own settings and every
// other method the block's (which inherit the location's, see config/types.ts):
//
//   location /api {
//       limit_except GET { auth_basic "NGINX Plus API"; auth_basic_user_file passwd; }
//       api write=on;
//       allow 127.0.0.1;
//       deny  all;
//   }

import type { IncomingMessage } from 'node:http';
import type { AccessRule } from '../config/types.js';
import { AccessList } from '../net/access.js';
import { basicChallenge, parseBasicAuth } from './basic-auth.js';
import { ApiError, ErrorCode } from './errors.js';
import { HtpasswdFile } from './htpasswd.js';

/** The access part of config's HttpRequestSettings. */
export interface AccessSettings {
  readonly access: readonly AccessRule[];
  /** auth_basic realm; null: off. */
  readonly authBasic: string | null;
  readonly authBasicUserFile: string | null;
}

/** The access part of config's HttpLocationConfig (which satisfies it). */
export interface GuardedLocation {
  readonly settings: AccessSettings;
  readonly limitExcept: { readonly methods: readonly string[]; readonly settings: AccessSettings } | null;
}

interface CompiledSettings {
  readonly access: AccessList;
  /** null: no basic auth (auth_basic off, or no user file, where nginx does not ask either). */
  readonly auth: { readonly realm: string; readonly file: HtpasswdFile } | null;
}

export class RequestGuard {
  private readonly own: CompiledSettings;
  private readonly other: CompiledSettings | null;
  private readonly listed: ReadonlySet<string>;

  constructor(location: GuardedLocation) {
    const files = new Map<string, HtpasswdFile>();
    this.own = compile(location.settings, files);
    this.other = location.limitExcept === null ? null : compile(location.limitExcept.settings, files);
    this.listed = new Set(location.limitExcept?.methods ?? []);
  }

  /**
   * Resolves with the authenticated user (null when no auth applies); rejects with an
   * ApiError: 403 Forbidden, 401 Unauthorized (with WWW-Authenticate), or 500 when the
   * user file cannot be read.
   */
  async authorize(req: IncomingMessage): Promise<string | null> {
    return this.check(req);
  }

  /**
   * authorize() without a promise where none is needed: throws the 403 at once, returns null
   * when no basic auth applies (a request on the hot path waits for nothing), else the
   * promise of the user's check.
   */
  check(req: IncomingMessage): null | Promise<string> {
    const settings = this.settingsFor(req.method ?? 'GET');
    if (!settings.access.allows(req.socket.remoteAddress)) {
      throw new ApiError(403, ErrorCode.Forbidden, 'access forbidden by rule');
    }
    if (settings.auth === null) return null;
    return this.verify(req, settings.auth);
  }

  private async verify(req: IncomingMessage, auth: NonNullable<CompiledSettings['auth']>): Promise<string> {
    const { realm, file } = auth;
    const credentials = parseBasicAuth(req.headers.authorization);
    const unauthorized = (text: string): ApiError =>
      new ApiError(401, ErrorCode.Unauthorized, text, { 'WWW-Authenticate': basicChallenge(realm) });
    if (credentials === null) throw unauthorized('authorization required');
    let ok: boolean;
    try {
      ok = await file.verify(credentials.user, credentials.password);
    } catch (e) {
      throw new ApiError(500, ErrorCode.InternalError, 'cannot read the auth_basic_user_file', {}, { cause: e });
    }
    if (!ok) throw unauthorized(`user "${credentials.user}" was not found or the password does not match`);
    return credentials.user;
  }

  private settingsFor(method: string): CompiledSettings {
    if (this.other === null || this.listed.has(method.toUpperCase())) return this.own;
    return this.other;
  }
}

const guards = new WeakMap<GuardedLocation, RequestGuard>();

/** The guard of a location, compiled on first use; a location's configuration never changes. */
export function guardOf(location: GuardedLocation): RequestGuard {
  let guard = guards.get(location);
  if (guard === undefined) {
    guard = new RequestGuard(location);
    guards.set(location, guard);
  }
  return guard;
}

function compile(settings: AccessSettings, files: Map<string, HtpasswdFile>): CompiledSettings {
  const access = new AccessList(settings.access);
  if (settings.authBasic === null || settings.authBasicUserFile === null) return { access, auth: null };
  const path = settings.authBasicUserFile;
  let file = files.get(path);
  if (file === undefined) {
    file = new HtpasswdFile(path);
    files.set(path, file);
  }
  return { access, auth: { realm: settings.authBasic, file } };
}
