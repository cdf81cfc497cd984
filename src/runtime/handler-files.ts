// The handler modules a node would load, checked before it starts or reloads, as nginx
// opens the files its directives name with the configuration: each must be a regular file
// this process can open for reading. The module is not imported (that would run its code):
// a file that exists but does not load still fails its requests with a 500, logged.

import { closeSync, openSync, statSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import type { SourceLocation } from '../config/ast.js';
import { ConfigError } from '../config/errors.js';
import type { HttpConfig, HttpRequestSettings } from '../config/types.js';
import { forEachLocation } from '../config/validate.js';

/** How an error names the option a handler module given outside the configuration came by. */
export interface HandlerOption {
  /** The option as the user wrote it, e.g. "--handler". */
  readonly option: string;
  /** Where the option was given, e.g. "on the command line". */
  readonly givenWhere: string;
}

/** `--handler FILE` as an error names it. */
export const COMMAND_LINE_HANDLER: HandlerOption = { option: '--handler', givenWhere: 'on the command line' };

/** startNode's `handler` option as an error names it. */
export const STARTNODE_HANDLER: HandlerOption = { option: 'handler', givenWhere: "in startNode's options" };

/** A handler module named outside the configuration (`--handler FILE`, startNode's `handler`), winning over zonesync_handler. */
export interface HandlerOverride extends HandlerOption {
  readonly path: string;
}

/**
 * Throws a ConfigError naming the directive (or option), the path, the reason and where it was
 * written for the first handler file of `http` (every zonesync_handler in force in a server or
 * location) or `override` that is not a readable regular file.
 */
export function checkHandlerFiles(http: HttpConfig | null, override: HandlerOverride | null): void {
  if (override !== null) {
    const reason = unreadableReason(override.path);
    if (reason !== null) throw new ConfigError(`cannot read "${override.option}" file "${override.path}" (${reason}) given ${override.givenWhere}`);
  }
  for (const [path, source] of configuredHandlers(http)) {
    const reason = unreadableReason(path);
    if (reason !== null) throw new ConfigError(`cannot read "zonesync_handler" file "${path}" (${reason})`, source);
  }
}

/** Each handler path in force somewhere in `http`, with where its directive was first found written. */
function configuredHandlers(http: HttpConfig | null): Map<string, SourceLocation | undefined> {
  const found = new Map<string, SourceLocation | undefined>();
  const add = (settings: HttpRequestSettings): void => {
    if (settings.handler !== null && !found.has(settings.handler)) found.set(settings.handler, settings.handlerSource);
  };
  for (const server of http?.servers ?? []) {
    add(server.settings);
    forEachLocation(server.locations, (location) => add(location.settings));
  }
  return found;
}

/**
 * Why `path` cannot be loaded as a module, as "CODE: Reason" (nginx's strerror words), or null
 * when it is a regular file that opens for reading. Stat comes first: opening a FIFO would block.
 */
function unreadableReason(path: string): string | null {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return 'EISDIR: Is a directory';
    if (!stats.isFile()) return 'not a regular file';
    closeSync(openSync(path, 'r'));
    return null;
  } catch (error) {
    return systemReason(error as NodeJS.ErrnoException);
  }
}

/** "ENOENT: No such file or directory" from a failed system call's error. */
function systemReason(error: NodeJS.ErrnoException): string {
  const described = error.errno === undefined ? undefined : getSystemErrorMap().get(error.errno);
  if (described === undefined) return error.message;
  const [code, text] = described;
  return `${code}: ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
