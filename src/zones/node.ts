import { randomInt } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { SharedHybridClock } from '../shared-clock.js';

/**
 * A node's identity as every zone of it sees it: the id stamped as `origin` on each version
 * it makes, and its one hybrid logical clock, shared by all its threads.
 */
export interface NodeContext {
  /** Unique in the cluster, never 0: the origin of this node's versions. */
  readonly nodeId: number;
  /** The shared clock's state (SharedHybridClock); the same buffer in every thread. */
  readonly clockBuffer: SharedArrayBuffer;
}

export function createNodeContext(nodeId: number = randomNodeId()): NodeContext {
  if (!Number.isInteger(nodeId) || nodeId <= 0 || nodeId > 0xffffffff) {
    throw new RangeError(`node id must be an integer from 1 to 4294967295, not ${nodeId}`);
  }
  return { nodeId, clockBuffer: SharedHybridClock.createBuffer() };
}

export function randomNodeId(): number {
  return randomInt(1, 0xffffffff);
}

let processNode: NodeContext | undefined;

/** The node of zones created without one: made once per thread that creates zones. */
export function defaultNodeContext(): NodeContext {
  processNode ??= createNodeContext();
  return processNode;
}

/** The id this thread writes into lock words: unique per thread of the process, never 0. */
export function threadOwnerId(): number {
  return threadId + 1;
}
