import { ConfigError } from '../config/errors.js';
import { normalizeConfig, type ZonesyncConfigInput } from '../config/normalize.js';
import { count, object, oneOf, string, type Check } from '../config/shape-check.js';
import type { ZonesyncConfig } from '../config/types.js';
import { createLogger, type Logger } from './logger.js';
import { ZonesyncNode } from './node.js';
import { handlerLocations } from './worker-count.js';
import type { FrontEndChoice } from './serving.js';

export interface StartNodeOptions {
  /**
   * Worker threads for handler locations. Default: the configuration's worker_processes when
   * a location runs a handler, else 0: no worker pool, the zones and the sync thread only.
   */
  workers?: number;
  /** A handler module's path for every location that runs a handler. */
  handler?: string;
  /** The service's own logger (pino, `fastify.log`); default: pino to the configuration's error_log. */
  logger?: Logger;
  /** The node's id in the cluster; default random. */
  nodeId?: number;
  /** Where HTTP is served (serving.ts); default auto. */
  frontEnd?: FrontEndChoice;
}

const LOGGER_METHODS = ['info', 'warn', 'error'] as const;

const logger: Check = (value, path) => {
  const missing = LOGGER_METHODS.filter((m) => typeof (value as Record<string, unknown> | null)?.[m] !== 'function');
  if (missing.length > 0) throw new ConfigError(`"${path}" must be a logger with ${LOGGER_METHODS.join(', ')} methods (pino's, fastify.log), it has no ${missing.join(', ')}`);
};

const checkOptions = object<StartNodeOptions>({ workers: count(), handler: string, logger, nodeId: count(), frontEnd: oneOf('auto', 'workers', 'primary') });

/**
 * Runs a node inside a service, from the same schema a file gives (written in code:
 * normalizeConfig checks it and fills nginx's defaults). Stop it with `node.stop()`.
 */
export async function startNode(config: ZonesyncConfigInput | ZonesyncConfig = {}, options: StartNodeOptions = {}): Promise<ZonesyncNode> {
  checkOptions(options, 'options');
  const full = normalizeConfig(config as ZonesyncConfigInput);
  const workers = options.workers ?? (handlerLocations(full).length === 0 ? 0 : undefined);
  return ZonesyncNode.start({
    config: full, logger: options.logger ?? createLogger(full.errorLog), workers,
    handler: options.handler ?? null, nodeId: options.nodeId, frontEnd: options.frontEnd,
  });
}
