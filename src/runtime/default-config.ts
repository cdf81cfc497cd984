import { readFileSync } from 'node:fs';

/** The shipped default configuration, examples/zonesync.conf (a file people can copy). */
export const DEFAULT_CONFIG_URL = new URL('../../examples/zonesync.conf', import.meta.url);

export function defaultConfigText(): string {
  return readFileSync(DEFAULT_CONFIG_URL, 'utf8');
}
