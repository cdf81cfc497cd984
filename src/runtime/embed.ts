import { normalizeConfig, type ZonesyncConfigInput } from '../config/normalize.js';
import type { ZonesyncConfig } from '../config/types.js';
import { createLogger, type Logger } from './logger.js';
import { ZonesyncNode } from './node.js';

export interface StartNodeOptions {
  /** Worker threads; default: the configuration's worker_processes. */
  workers?: number;
  /** A handler module's path for every non-API location. */
  handler?: string;
  logger?: Logger;
  /** The node's id in the cluster; default random. */
  nodeId?: number;
}

/**
 * Runs a node inside a service, from the same schema a file gives (written in code:
 * normalizeConfig fills nginx's defaults). Stop it with `node.stop()`.
 */
export async function startNode(config: ZonesyncConfigInput | ZonesyncConfig, options: StartNodeOptions = {}): Promise<ZonesyncNode> {
  const full = normalizeConfig(config as ZonesyncConfigInput);
  return ZonesyncNode.start({
    config: full, logger: options.logger ?? createLogger(full.errorLog), workers: options.workers,
    handler: options.handler ?? null, nodeId: options.nodeId,
  });
}
