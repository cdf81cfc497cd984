// The two ways a node serves HTTP, for the gateway's tests to run on each: the primary
// serving every request (the fallback, on any Node), and every worker thread serving its own
// (Node 22.12+ on Linux, found by shared-listen-node.ts; never skipped).
import { sharedListenNode } from '../runtime/shared-listen-node.js';

export interface ServingPath {
  readonly name: string;
  /** The Node binary to run the node with. */
  readonly node: () => string;
  /** The command line that chooses the path (with the helpers' --workers 2). */
  readonly args: readonly string[];
  /** How many threads serve HTTP, each with its own connections to upstream servers. */
  readonly threads: number;
}

export const SERVING_PATHS: readonly ServingPath[] = [
  { name: 'the primary serving', node: () => process.execPath, args: ['--front-end', 'primary'], threads: 1 },
  { name: 'worker threads serving', node: sharedListenNode, args: ['--front-end', 'workers'], threads: 2 },
];
