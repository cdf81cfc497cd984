/**
 * The worker thread's entry (piscina): attaches to every zone from the handles in
 * workerData, loads the handler module, and answers one HTTP request per task. The
 * location's `limit_req` rules are applied here, before the handler, as nginx does; a
 * delayed request goes back to the front end to wait (WorkerAnswer).
 */
import { threadId, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { defaultHandler } from './default-handler.js';
import type { Handler, HandlerContext, HandlerRequest } from './handler-types.js';
import { NodeCounters } from './node-counters.js';
import { evaluate } from './variables.js';
import { attachZones } from './zone-set.js';
import type { WorkerAnswer, WorkerData, WorkerTask } from './worker-protocol.js';

const data = workerData as WorkerData;
const zones = attachZones(data.zones);
const counters = NodeCounters.attach(data.counters);
const context: HandlerContext = {
  keyval: zones.keyval, limitReq: zones.limitReq, sticky: zones.sticky, counter: zones.counter,
  upstreams: new Map(data.upstreams.map((u) => [u.name, u])),
  nodeId: data.nodeId, nodeName: data.nodeName, workerId: threadId,
};
const handlers = new Map<string, Promise<Handler>>();

function handlerFor(path: string | null): Promise<Handler> {
  if (path === null) return Promise.resolve(defaultHandler);
  let loaded = handlers.get(path);
  if (loaded === undefined) {
    loaded = import(pathToFileURL(path).href).then((m: { default?: unknown }) => {
      if (typeof m.default !== 'function') throw new Error(`handler module ${path} has no default export function`);
      return m.default as Handler;
    });
    handlers.set(path, loaded);
  }
  return loaded;
}

/**
 * Applies the location's limit_req rules: a refusal, a delay to wait, or nothing. Each
 * zone that judges the request counts what it decided (/api/9/http/limit_reqs/).
 */
function limitRequests(task: WorkerTask, req: HandlerRequest): { refused: boolean; delayMs: number } {
  let delayMs = 0;
  for (const rule of task.limitReqs) {
    const zone = zones.limitReq.get(rule.zone);
    const template = data.limitReqKeys[rule.zone];
    if (zone === undefined || template === undefined) continue;
    const key = evaluate(template, req);
    if (key === '') continue; // nginx does not account requests with an empty key
    const r = zone.take(key, { burst: rule.burst, ...(rule.delay === null ? { nodelay: true } : { delay: rule.delay }) });
    counters.countLimitReq(rule.zone, !r.allowed ? 'rejected' : r.delayMs > 0 ? 'delayed' : 'passed');
    if (!r.allowed) return { refused: true, delayMs: 0 };
    delayMs = Math.max(delayMs, r.delayMs);
  }
  return { refused: false, delayMs };
}

export default async function handle(task: WorkerTask): Promise<WorkerAnswer> {
  const req = task.request;
  const limit = limitRequests(task, req);
  if (limit.refused) {
    return { response: { status: task.limitReqStatus, headers: { 'content-type': 'text/plain' }, body: `${task.limitReqStatus} request rate limited\n` } };
  }
  if (limit.delayMs > 0) return { delayMs: limit.delayMs };
  const handler = await handlerFor(task.handler);
  return { response: await handler(req, context) };
}
