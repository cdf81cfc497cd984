// Errors of the configuration layer.
//
// ConfigError is what an operator sees: an nginx-style message that ends with the place it
// was found ("unknown directive "foo" in /etc/zonesync.conf:12"), as `nginx -t` prints it.
// ConfigValueError is what the pure unit parsers throw: it knows the bad value, not where it
// came from; the schema catches it and rethrows a ConfigError that names the directive.

import type { SourceLocation } from './ast.js';

export class ConfigError extends Error {
  /** The message without the trailing " in FILE:LINE". */
  readonly reason: string;
  /** Where the offending directive or token is; absent for objects built in code. */
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(reason: string, where?: SourceLocation) {
    super(where === undefined ? reason : `${reason} in ${where.file}:${where.line}`);
    this.name = 'ConfigError';
    this.reason = reason;
    this.file = where?.file;
    this.line = where?.line;
  }
}

export class ConfigValueError extends Error {
  /** The text that could not be parsed, exactly as written. */
  readonly value: string;

  constructor(message: string, value: string) {
    super(message);
    this.name = 'ConfigValueError';
    this.value = value;
  }
}
