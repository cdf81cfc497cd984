#!/usr/bin/env node
/**
 * `node dist/primary.js`: runs one zonesync node, tests a configuration (-t) or signals the
 * running node of a configuration (-s), as an nginx operator would expect. Exit codes: 0
 * ok, 1 a configuration, start or signal error.
 */
import { resolve } from 'node:path';
import { Dashboard } from './api/dashboard.js';
import { loadConfig, parseConfigText } from './config/load.js';
import { checkProxyTls } from './gateway/upstream-tls.js';
import type { ZonesyncConfig } from './config/types.js';
import { usesDashboard } from './runtime/dashboard-use.js';
import { checkHandlerFiles, COMMAND_LINE_HANDLER } from './runtime/handler-files.js';
import { USAGE, parseCli, type CliOptions } from './runtime/cli.js';
import { DEFAULT_CONFIG_URL, defaultConfigText } from './runtime/default-config.js';
import { unresolvedPeerNames, unresolvedUpstreamNames } from './runtime/check-peer-names.js';
import { openErrorLog } from './runtime/logger.js';
import { ZonesyncNode } from './runtime/node.js';
import { removePidFile, signalProcess, writePidFile } from './runtime/pid-file.js';
import { zonesyncVersion as version } from './runtime/version.js';
import { checkSyncTls, syncOptionsOf } from './runtime/sync-options.js';
import { createZones } from './runtime/zone-set.js';
import { createNodeContext } from './zones/node.js';

const PROGRAM = 'zonesync';

function configName(cli: CliOptions): string {
  return cli.configPath === null ? DEFAULT_CONFIG_URL.pathname : resolve(cli.configPath);
}

/** The configuration; `warn` is told each warning (an ignored directive), by default on stderr as nginx -t prints it. */
function readConfig(cli: CliOptions, warn: (message: string) => void = printWarning): ZonesyncConfig {
  const options = { onWarning: warn };
  return cli.configPath === null
    ? parseConfigText(defaultConfigText(), DEFAULT_CONFIG_URL.pathname, options) : loadConfig(resolve(cli.configPath), options);
}

/** `--handler FILE`, resolved against the working directory (null: none given). */
function handlerPath(cli: CliOptions): string | null {
  return cli.handler === null ? null : resolve(cli.handler);
}

function printWarning(message: string): void {
  console.error(`${PROGRAM}: [warn] ${message}`);
}

/**
 * nginx -t: parse, check, and create the zones (sizes) without starting anything; read the
 * files the node would read at start (certificates, handler modules, not run); warn of
 * static zone_sync_server names that do not resolve.
 */
async function testConfig(cli: CliOptions): Promise<number> {
  const name = configName(cli);
  try {
    const config = readConfig(cli);
    // As nginx: the files the configuration names are loaded before it says the syntax is ok, so a test that fails never says it.
    createZones(config, createNodeContext(1));
    checkProxyTls(config.http);
    const handler = handlerPath(cli);
    checkHandlerFiles(config.http, handler === null ? null : { path: handler, ...COMMAND_LINE_HANDLER });
    const syncConfig = config.stream?.sync ?? null;
    if (syncConfig !== null) {
      checkSyncTls(syncOptionsOf(syncConfig));
      for (const warning of await unresolvedPeerNames(syncConfig)) console.error(`${PROGRAM}: [warn] ${warning}`);
    }
    for (const warning of await unresolvedUpstreamNames(config.http)) console.error(`${PROGRAM}: [warn] ${warning}`);
    if (usesDashboard(config.http)) Dashboard.load();
    console.error(`${PROGRAM}: the configuration file ${name} syntax is ok`);
    console.error(`${PROGRAM}: configuration file ${name} test is successful`);
    return 0;
  } catch (e) {
    console.error(`${PROGRAM}: [emerg] ${(e as Error).message}`);
    console.error(`${PROGRAM}: configuration file ${name} test failed`);
    return 1;
  }
}

/** nginx -s: the signal goes to the process in the configuration's pid file. */
function sendSignal(cli: CliOptions, name: NonNullable<CliOptions['signal']>): number {
  try {
    const { pidFile } = readConfig(cli, () => {});
    if (pidFile === null) throw new Error(`no "pid" directive in ${configName(cli)}: no pid file to read the node's process id from`);
    signalProcess(pidFile, name);
    return 0;
  } catch (e) {
    console.error(`${PROGRAM}: [error] ${(e as Error).message}`);
    return 1;
  }
}

async function run(cli: CliOptions): Promise<number> {
  let config: ZonesyncConfig;
  try {
    config = readConfig(cli);
  } catch (e) {
    console.error(`${PROGRAM}: [emerg] ${(e as Error).message}`);
    return 1;
  }
  const errorLog = openErrorLog(config.errorLog, cli.logLevel);
  const logger = errorLog.logger;
  let node: ZonesyncNode;
  try {
    node = await ZonesyncNode.start({
      config, logger, workers: cli.workers, handler: handlerPath(cli), handlerOption: COMMAND_LINE_HANDLER, logLevel: cli.logLevel, frontEnd: cli.frontEnd,
    });
  } catch (e) {
    console.error(`${PROGRAM}: [emerg] ${(e as Error).message}`);
    logger.flush();
    return 1;
  }
  // The pid file in force is the one of the configuration the node started with (as nginx).
  const pidFile = config.pidFile;
  if (pidFile !== null) {
    try {
      writePidFile(pidFile);
    } catch (e) {
      console.error(`${PROGRAM}: [emerg] could not write the pid file: ${(e as Error).message}`);
      await node.stop(false);
      logger.flush();
      return 1;
    }
  }
  const exit = (code: number) => {
    if (pidFile !== null) removePidFile(pidFile);
    errorLog.flushSync(); // an asynchronous flush would be cut short by process.exit
    process.exit(code);
  };
  const api = node.httpAddresses[0];
  const syncAt = node.sync?.listenAddress ?? 'nowhere (no zone_sync server)';
  const stop = (graceful: boolean, signal: string) => {
    logger.info({ signal }, graceful ? 'graceful stop' : 'fast stop');
    node.stop(graceful).then(() => exit(0), (err: unknown) => {
      logger.error({ err }, 'stop failed');
      exit(1);
    });
  };
  process.on('SIGQUIT', () => stop(true, 'QUIT'));
  process.on('SIGTERM', () => stop(false, 'TERM'));
  process.on('SIGINT', () => stop(false, 'INT'));
  process.on('SIGHUP', () => {
    try {
      node.reload(readConfig(cli, (message) => logger.warn({}, message)));
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'configuration reload failed; the old configuration stays');
    }
  });
  process.on('SIGUSR1', () => {
    errorLog.reopen();
    node.reopenLogs();
    logger.info({ signal: 'USR1' }, 'log files reopened');
  });
  // Announced once the signals are handled: whoever waits for this line may signal at once.
  const serving = node.serving;
  const workers = `${serving.workers} ${serving.workers === 1 ? 'worker' : 'workers'}`;
  const path = serving.fallbackReason === null
    ? `${workers}, ${serving.workers === 1 ? 'serving HTTP itself' : 'each serving HTTP'}`
    : `${workers} behind the primary thread's HTTP front end (${serving.fallbackReason})`;
  console.log(`${PROGRAM} ${version()}: node ${node.node.nodeId} serving http://${api ?? '(no http server)'}/ with ${path}; zone_sync listening on ${syncAt}`);
  return -1; // keeps running until a signal
}

async function main(): Promise<void> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`${PROGRAM}: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(1);
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  if (cli.version) {
    console.log(`${PROGRAM} version ${version()}`);
    return;
  }
  if (cli.test) process.exit(await testConfig(cli));
  if (cli.signal !== null) process.exit(sendSignal(cli, cli.signal));
  const code = await run(cli);
  if (code >= 0) process.exit(code);
}

void main();

