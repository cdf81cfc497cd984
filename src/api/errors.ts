// The NGINX Plus API's error body and codes. Every error the API answers is an ApiError,
// thrown by the layer that finds it and written once by the handler (respond.ts).
//
//   {"error":{"status":404,"text":"unknown version","code":"UnknownVersion"},
//    "request_id":"…","href":"https://nginx.org/en/docs/http/ngx_http_api_module.html"}

export const API_DOCS_HREF = 'https://nginx.org/en/docs/http/ngx_http_api_module.html';

/**
 * The codes this API answers with. The first group is NGINX Plus's own; the rest are
 * zonesync's, named in the same style, for cases NGINX Plus has no code for.
 */
export const ErrorCode = {
  UnknownVersion: 'UnknownVersion',
  PathNotFound: 'PathNotFound',
  MethodNotSupported: 'MethodNotSupported',
  MethodDisabled: 'MethodDisabled',
  KeyvalNotFound: 'KeyvalNotFound',
  KeyvalKeyNotFound: 'KeyvalKeyNotFound',
  KeyvalKeyExists: 'KeyvalKeyExists',
  KeyvalFormatError: 'KeyvalFormatError',
  SlabNotFound: 'SlabNotFound',
  ServerZoneNotFound: 'ServerZoneNotFound',
  LocationZoneNotFound: 'LocationZoneNotFound',
  CacheNotFound: 'CacheNotFound',
  LimitConnNotFound: 'LimitConnNotFound',
  LimitReqNotFound: 'LimitReqNotFound',
  UpstreamNotFound: 'UpstreamNotFound',
  ResolverZoneNotFound: 'ResolverZoneNotFound',
  WorkerNotFound: 'WorkerNotFound',
  BodyReadError: 'BodyReadError',
  BodyTooLarge: 'BodyTooLarge',
  /** 507: no room for the record even after evicting the least recently used ones. */
  KeyvalZoneFull: 'KeyvalZoneFull',
  /** 403: an allow/deny rule refused the client's address. */
  Forbidden: 'Forbidden',
  /** 401: basic auth is required for this method and the credentials are missing or wrong. */
  Unauthorized: 'Unauthorized',
  /** 503 from /readyz. */
  NotReady: 'NotReady',
  /** 400: not an HTTP/1.x request the server can parse (a bad method token, a NUL in a header, bad framing). */
  BadRequest: 'BadRequest',
  /** 408: the request's head or body did not arrive in time. */
  RequestTimeout: 'RequestTimeout',
  /** 414: the request line is over its bound. */
  UriTooLong: 'UriTooLong',
  /** 431: the request's head (request line and headers) is over its bound. */
  HeadersTooLarge: 'HeadersTooLarge',
  /** 500: a fault of the node (an unreadable auth_basic_user_file, a bug). */
  InternalError: 'InternalError',
  /** 502: no upstream server could be reached or answered properly (proxy_pass). */
  BadGateway: 'BadGateway',
  /** 504: the upstream server did not connect or answer within its timeout (proxy_pass). */
  GatewayTimeout: 'GatewayTimeout',
} as const;

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: ErrorCodeName;
  /** Extra response headers (Allow on 405, WWW-Authenticate on 401). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ErrorCodeName, text: string, headers: Record<string, string> = {}, options?: ErrorOptions) {
    super(text, options);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const unknownVersion = (): ApiError => new ApiError(404, ErrorCode.UnknownVersion, 'unknown version');
export const pathNotFound = (): ApiError => new ApiError(404, ErrorCode.PathNotFound, 'path not found');

/** A 404 for a member of a status collection that does not exist ("upstream not found"). */
export function memberNotFound(code: ErrorCodeName, text: string): ApiError {
  return new ApiError(404, code, text);
}

/** `allowed` null: a method the server does not know at all, where no Allow list applies. */
export function methodNotSupported(allowed: readonly string[] | null): ApiError {
  return new ApiError(405, ErrorCode.MethodNotSupported, 'method not supported', allowed === null ? {} : { Allow: allowed.join(', ') });
}

export function methodDisabled(allowed: readonly string[]): ApiError {
  return new ApiError(405, ErrorCode.MethodDisabled, 'method disabled', { Allow: allowed.join(', ') });
}

export function formatError(text: string): ApiError {
  return new ApiError(400, ErrorCode.KeyvalFormatError, text);
}
