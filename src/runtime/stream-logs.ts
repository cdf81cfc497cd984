// The logs of the zone_sync server: its own error_log (the stream block's or server's, else
// the node's) for the sync thread's lines, and its access_log for the sessions it accepted.

import type { ZoneSyncServerConfig } from '../config/types.js';
import type { LogFields, SyncLogger } from '../sync/logger.js';
import { openErrorLog, type Logger } from './logger.js';
import { StreamAccessLogs } from './stream-access-log.js';

export interface StreamLogs {
  /** What the sync thread logs to. */
  readonly logger: SyncLogger;
  /** USR1: the files are reopened. */
  reopen(): void;
  close(): void;
}

export function openStreamLogs(config: ZoneSyncServerConfig, nodeLogger: Logger, levelOverride?: string): StreamLogs {
  const errorLog = config.errorLog === null ? null : openErrorLog(config.errorLog, levelOverride);
  const log = errorLog?.logger ?? nodeLogger;
  const access = new StreamAccessLogs(config.accessLogs, (err) => log.error({ err }, 'could not write the stream access log'));
  return {
    logger: {
      info: (fields: LogFields, message: string) => log.info(fields, message),
      warn: (fields: LogFields, message: string) => log.warn(fields, message),
      error: (fields: LogFields, message: string) => log.error(fields, message),
      session: (session) => {
        try {
          access.write(session);
        } catch (err) {
          log.error({ err }, 'could not write the stream access log');
        }
      },
    },
    reopen: () => {
      errorLog?.reopen();
      access.reopen();
    },
    close: () => {
      errorLog?.logger.flush();
      access.close();
    },
  };
}
