// A reference model of nginx's limit_req for one `limit_req` directive, transcribed from
// ngx_http_limit_req_module.c (ngx_http_limit_req_lookup with account = 1, then
// ngx_http_limit_req_account): integers throughout, as C computes them. Nodes are never
// expired here; a zone that forgets a node only once it has drained must answer the same.

export interface NginxLimit {
  /** limit->burst: burst × 1000. */
  burstMilli: number;
  /** limit->delay: delay × 1000; nodelay is NGX_MAX_INT_T_VALUE / 1000 × 1000 (Infinity here). */
  delayMilli: number;
}

export interface NginxAnswer {
  /** NGX_BUSY: answered with limit_req_status. */
  rejected: boolean;
  /** The request's excess (*ep), in milli-requests. */
  excessMilli: number;
  /** ngx_add_timer's delay, in ms; 0 when passed at once. */
  delayMs: number;
}

export class NginxLimitReqModel {
  private readonly nodes = new Map<string, { excess: number; last: number }>();

  /** `rate`: ctx->rate, milli-requests per second. */
  constructor(private readonly rate: number) {}

  request(key: string, now: number, limit: NginxLimit): NginxAnswer {
    const lr = this.nodes.get(key);
    if (lr === undefined) {
      this.nodes.set(key, { excess: 0, last: now });
      return { rejected: false, excessMilli: 0, delayMs: 0 };
    }
    let ms = now - lr.last;
    if (ms < -60000) ms = 1;
    else if (ms < 0) ms = 0;
    let excess = lr.excess - Math.trunc((this.rate * ms) / 1000) + 1000;
    if (excess < 0) excess = 0;
    if (excess > limit.burstMilli) return { rejected: true, excessMilli: excess, delayMs: 0 };
    lr.excess = excess;
    if (ms) lr.last = now;
    const delayMs = excess <= limit.delayMilli ? 0 : Math.trunc(((excess - limit.delayMilli) * 1000) / this.rate);
    return { rejected: false, excessMilli: excess, delayMs };
  }
}
