import { parseArgs } from 'node:util';
import { isSignalName, type SignalName } from './pid-file.js';
import type { FrontEndChoice } from './serving.js';

export interface CliOptions {
  configPath: string | null;
  workers: number | undefined;
  handler: string | null;
  frontEnd: FrontEndChoice;
  test: boolean;
  /** -s quit|stop|reload|reopen: signal the running node of the configuration, then exit. */
  signal: SignalName | null;
  version: boolean;
  help: boolean;
  logLevel: string | undefined;
}

export const USAGE = `Usage: node dist/primary.js [-c|--config FILE] [--workers N] [--handler FILE] [--front-end WHERE] [-t] [-s SIGNAL] [--log-level LEVEL] [--version] [--help]

  -c, --config FILE   the configuration file (nginx syntax); without it, the shipped
                      default (examples/zonesync.conf): one node, the demo front end on
                      http://127.0.0.1:8080/, the API under /api/, no peers
      --workers N     worker threads (wins over worker_processes)
      --handler FILE  a handler module for every location that is not the API
      --front-end W   where HTTP is served: auto (default: the worker threads where Node
                      can share a listening socket between threads, Node 22.12+ on
                      Linux, else the primary), workers (fail if they cannot), primary
  -t                  test the configuration and exit, as nginx -t
  -s SIGNAL           send SIGNAL to the node of the configuration (its pid file) and
                      exit, as nginx -s: quit, stop, reload, reopen
      --log-level L   debug, info, warn, error (default: the error_log level, else error)
  -v, --version       print the version and exit
  -h, --help          this text

Signals: QUIT graceful stop, TERM/INT fast stop, HUP reload the configuration,
USR1 reopen the log files.`;

const FRONT_END_CHOICES: readonly FrontEndChoice[] = ['auto', 'workers', 'primary'];

/** Parses argv; a bad flag or value throws an Error whose message says what is wrong. */
export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      workers: { type: 'string' },
      handler: { type: 'string' },
      'front-end': { type: 'string' },
      test: { type: 'boolean', short: 't' },
      signal: { type: 'string', short: 's' },
      'log-level': { type: 'string' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new Error(`--workers must be a whole number from 1 to 1024, not "${values.workers}"`);
  }
  const signal = values.signal ?? null;
  if (signal !== null && !isSignalName(signal)) throw new Error(`invalid option: "-s ${signal}" (quit, stop, reload or reopen)`);
  const frontEnd = values['front-end'] ?? 'auto';
  if (!FRONT_END_CHOICES.includes(frontEnd as FrontEndChoice)) throw new Error(`--front-end must be auto, workers or primary, not "${frontEnd}"`);
  return {
    configPath: values.config ?? null,
    workers,
    handler: values.handler ?? null,
    frontEnd: frontEnd as FrontEndChoice,
    test: values.test ?? false,
    signal,
    version: values.version ?? false,
    help: values.help ?? false,
    logLevel: values['log-level'],
  };
}
