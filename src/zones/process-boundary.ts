// A zone lives in SharedArrayBuffers, which the threads of one process share and no other
// process can: a handle sent over IPC (process.send under node:cluster, PM2 or
// child_process) arrives with its buffers turned into empty objects. Both ends refuse such
// a handle with a ZoneArgumentError that says why, and what processes do instead.

import { ZoneArgumentError } from './errors.js';
import type { ZoneHandleOf } from './zone-base.js';

const INSTEAD = 'A zone is shared by the threads of one process (worker_threads: workerData, postMessage); '
  + 'processes share zones by syncing them: startClusterMember() makes each process a node of a cluster on the host.';

/**
 * The sending end: process.send (node:cluster, PM2, child_process) serialises messages
 * as JSON, which calls toJSON. A non-enumerable toJSON is invisible to structured cloning
 * (workerData, postMessage), so the handle still crosses threads as plain data.
 */
export function refuseJson(handle: ZoneHandleOf<unknown>): void {
  if (!Object.isExtensible(handle) || Object.hasOwn(handle, 'toJSON')) return;
  const name = handle.descriptor.name;
  Object.defineProperty(handle, 'toJSON', {
    enumerable: false,
    value: () => {
      throw new ZoneArgumentError(`zone "${name}": a zone handle cannot be sent as JSON (process.send, the IPC of node:cluster and PM2): its memory is a SharedArrayBuffer, which no other process can map. ${INSTEAD}`);
    },
  });
}

/** The receiving end: a handle whose buffers are not SharedArrayBuffers came from another process. */
export function checkSameProcess(handle: ZoneHandleOf<unknown>): void {
  const buffers = [handle?.descriptor?.handle?.buffer, handle?.node?.clockBuffer];
  if (buffers.every((b) => b instanceof SharedArrayBuffer)) return;
  const name = typeof handle?.descriptor?.name === 'string' ? handle.descriptor.name : '?';
  throw new ZoneArgumentError(`zone "${name}": this handle holds no SharedArrayBuffer, so it was sent from another process (node:cluster, PM2, child_process IPC) or through JSON. ${INSTEAD}`);
}
