// The message of the ConfigError a configuration text gives, for the tables of the config tests.
import { expect } from 'vitest';
import { ConfigError, parseConfigText } from '../../dist/config/index.js';

export const FILE = '/etc/zonesync/zonesync.conf';

/** The message (with " in FILE:LINE") of the ConfigError `text`, read as FILE, throws; fails the test if it loads. */
export function configErrorOf(text: string): string {
  try {
    parseConfigText(text, FILE, { onWarning: () => {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError, got a configuration');
}
