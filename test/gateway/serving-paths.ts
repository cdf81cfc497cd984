// The two ways a node serves HTTP, for the gateway's tests to run on each: the primary
// serving every request (the fallback, on any Node), and every worker thread serving its own
// (Node 22.12+ on Linux, found by shared-listen-node.ts; never skipped).
import { NodeProcess, tempDir, writeConfig } from '../runtime/cluster-helpers.js';
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

/** A node started on a serving path, with the directory of its configuration. */
export interface RunningNode {
  readonly node: NodeProcess;
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
}

/** Starts `node dist/primary.js` on `path` with `config` as its configuration file `name`; resolves once it serves. */
export async function startNodeOn(path: ServingPath, name: string, config: string): Promise<RunningNode> {
  const dir = tempDir();
  const node = new NodeProcess(writeConfig(dir.dir, name, config), [...path.args], path.node());
  const stop = async (): Promise<void> => {
    await node.stop();
    dir.cleanup();
  };
  try {
    await node.ready();
  } catch (error) {
    await stop();
    throw error;
  }
  return { node, stop };
}
