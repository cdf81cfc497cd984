#!/usr/bin/env node
/**
 * `node dist/primary.js`: runs one zonesync node, or tests a configuration (-t), as an
 * nginx operator would expect. Exit codes: 0 ok, 1 a configuration or start error.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, parseConfigText } from './config/load.js';
import type { ZonesyncConfig } from './config/types.js';
import { USAGE, parseCli, type CliOptions } from './runtime/cli.js';
import { DEFAULT_CONFIG_URL, defaultConfigText } from './runtime/default-config.js';
import { createLogger } from './runtime/logger.js';
import { ZonesyncNode } from './runtime/node.js';
import { checkSyncTls, syncOptionsOf } from './runtime/sync-options.js';
import { createZones } from './runtime/zone-set.js';
import { createNodeContext } from './zones/node.js';

const PROGRAM = 'zonesync';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function configName(cli: CliOptions): string {
  return cli.configPath === null ? DEFAULT_CONFIG_URL.pathname : resolve(cli.configPath);
}

function readConfig(cli: CliOptions): ZonesyncConfig {
  return cli.configPath === null ? parseConfigText(defaultConfigText(), DEFAULT_CONFIG_URL.pathname) : loadConfig(resolve(cli.configPath));
}

/** nginx -t: parse, check, and create the zones (sizes) without starting anything. */
function testConfig(cli: CliOptions): number {
  const name = configName(cli);
  try {
    const config = readConfig(cli);
    console.error(`${PROGRAM}: the configuration file ${name} syntax is ok`);
    createZones(config, createNodeContext(1));
    const syncConfig = config.stream?.sync ?? null;
    if (syncConfig !== null) checkSyncTls(syncOptionsOf(syncConfig));
    console.error(`${PROGRAM}: configuration file ${name} test is successful`);
    return 0;
  } catch (e) {
    console.error(`${PROGRAM}: [emerg] ${(e as Error).message}`);
    console.error(`${PROGRAM}: configuration file ${name} test failed`);
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
  const logger = createLogger(config.errorLog, cli.logLevel);
  let node: ZonesyncNode;
  try {
    node = await ZonesyncNode.start({ config, logger, workers: cli.workers, handler: cli.handler === null ? null : resolve(cli.handler) });
  } catch (e) {
    console.error(`${PROGRAM}: [emerg] ${(e as Error).message}`);
    logger.flush();
    return 1;
  }
  const api = node.httpAddresses[0];
  const syncAt = node.sync?.listenAddress ?? 'nowhere (no zone_sync server)';
  console.log(`${PROGRAM} ${version()}: node ${node.node.nodeId} serving http://${api ?? '(no http server)'}/ with ${node.pool.size} workers; zone_sync listening on ${syncAt}`);
  const stop = (graceful: boolean, signal: string) => {
    logger.info({ signal }, graceful ? 'graceful stop' : 'fast stop');
    node.stop(graceful).then(() => {
      logger.flush();
      process.exit(0);
    }, (err: unknown) => {
      logger.error({ err }, 'stop failed');
      logger.flush();
      process.exit(1);
    });
  };
  process.on('SIGQUIT', () => stop(true, 'QUIT'));
  process.on('SIGTERM', () => stop(false, 'TERM'));
  process.on('SIGINT', () => stop(false, 'INT'));
  process.on('SIGHUP', () => {
    try {
      node.reload(readConfig(cli));
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'configuration reload failed; the old configuration stays');
    }
  });
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
  if (cli.test) process.exit(testConfig(cli));
  const code = await run(cli);
  if (code >= 0) process.exit(code);
}

void main();

