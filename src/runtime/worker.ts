/**
 * A pool worker's entry (piscina), on the fallback path where the primary serves HTTP:
 * attaches to every zone from the handles in workerData and runs one request's handler per
 * task. The front end has applied the location's limit_req and access rules before.
 */
import { threadId, workerData } from 'node:worker_threads';
import type { HandlerResponse } from './handler-types.js';
import { variablesFor } from '../gateway/variables.js';
import { HandlerRuntime } from './handler-runtime.js';
import { attachZones } from './zone-set.js';
import type { HandlerThreadData, WorkerTask } from './worker-protocol.js';

const data = workerData as HandlerThreadData;
const zones = attachZones(data.zones);
const runtime = new HandlerRuntime({ ...data, zones, workerId: threadId, variables: variablesFor(data.keyvals, zones.keyval) });

export default function handle(task: WorkerTask): HandlerResponse | Promise<HandlerResponse> {
  return runtime.handle(task.request, task.handler);
}
