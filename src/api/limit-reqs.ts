// GET /http/limit_reqs/: what each limit_req zone did with the requests it judged, counted
// over every thread of the node where the rule is applied:
//
//   {"perclient":{"passed":15,"delayed":4,"rejected":0,"delayed_dry_run":0,"rejected_dry_run":0}}
//
// A request is counted once in each zone of its location's rules that judged it: passed
// (admitted at once), delayed, or rejected; a rule after one that rejected does not judge
// the request, as nginx stops at the first refusal. The dry-run counts are those of
// limit_req_dry_run, which zonesync does not have: always 0.

export interface LimitReqCounts {
  readonly passed: number;
  readonly delayed: number;
  readonly rejected: number;
  readonly delayed_dry_run: number;
  readonly rejected_dry_run: number;
}

export function limitReqObject(c: LimitReqCounts): LimitReqCounts {
  return { passed: c.passed, delayed: c.delayed, rejected: c.rejected, delayed_dry_run: c.delayed_dry_run, rejected_dry_run: c.rejected_dry_run };
}
