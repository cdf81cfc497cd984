// @ts-check
// Reading the node's API from the browser, through the API location, so that its allow,
// deny and auth_basic decide what the page may see. Every outcome is a value: the page
// tells a refusal, a missing endpoint and an unreachable node apart. A request is never
// cut short: the browser may be asking the user for the API's credentials meanwhile (the
// poll loop says when an answer is late).

/**
 * @typedef {{ ok: true, body: any }
 *   | { ok: false, kind: 'http', status: number, code: string, text: string }
 *   | { ok: false, kind: 'unreachable', text: string }} ApiResult
 */

/** The API path the node put into the page (zonesync_dashboard api=), without its trailing slash. */
function apiBase() {
  const meta = document.querySelector('meta[name="zonesync-api"]');
  const path = meta?.getAttribute('content') ?? '/api/';
  return path.replace(/\/+$/, '');
}

/**
 * GET of a path under the API's version: getJson('/9/stream/zone_sync').
 * @param {string} base
 * @param {string} path
 * @returns {Promise<ApiResult>}
 */
async function getJson(base, path) {
  try {
    const response = await fetch(base + path, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const text = await response.text();
    if (!response.ok) return httpError(response, text);
    return parseBody(response, text);
  } catch (error) {
    return { ok: false, kind: 'unreachable', text: errorText(error) };
  }
}

/**
 * An error answer: the NGINX Plus error body's code and text when it has one.
 * @param {Response} response
 * @param {string} text
 * @returns {ApiResult}
 */
function httpError(response, text) {
  let code = '';
  let message = response.statusText;
  try {
    const body = JSON.parse(text);
    if (typeof body?.error?.code === 'string') code = body.error.code;
    if (typeof body?.error?.text === 'string') message = body.error.text;
  } catch {
    // not the API's error body (a proxy in between, say): the status says enough
  }
  return { ok: false, kind: 'http', status: response.status, code, text: message };
}

/**
 * @param {Response} response
 * @param {string} text
 * @returns {ApiResult}
 */
function parseBody(response, text) {
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch {
    return { ok: false, kind: 'http', status: response.status, code: '', text: 'the answer is not JSON: is api= the API location?' };
  }
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/** An endpoint the node's API does not have (404) is asked for again only this often. */
const MISSING_RETRY_MS = 30_000;

/**
 * An optional endpoint read at every poll: one the node lacks (a node without zone_sync,
 * an API without limit_req counters) is not asked for every second.
 */
class OptionalEndpoint {
  /**
   * @param {string} base
   * @param {string} path
   */
  constructor(base, path) {
    this.base = base;
    this.path = path;
    /** @type {ApiResult | null} */
    this.missing = null;
    this.retryAtMs = 0;
  }

  /** @param {number} nowMs */
  async read(nowMs) {
    if (this.missing !== null && nowMs < this.retryAtMs) return this.missing;
    const result = await getJson(this.base, this.path);
    this.missing = !result.ok && result.kind === 'http' && result.status === 404 ? result : null;
    this.retryAtMs = nowMs + MISSING_RETRY_MS;
    return result;
  }
}
