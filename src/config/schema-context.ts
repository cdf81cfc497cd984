// State shared by the schema's readers while one configuration is turned into its typed form.

import type { Directive, SourceLocation } from './ast.js';
import { checkDirective, type BlockContext } from './directives.js';
import { ConfigError } from './errors.js';
import type { ZoneConfig } from './types.js';

export interface SchemaContext {
  /** Base of relative paths: the directory of the top-level file, as nginx's conf prefix. */
  readonly prefix: string;
  /** Every zone declared so far, in order; uniqueness is checked by validateConfig. */
  readonly zones: ZoneConfig[];
  /** Told each warning, worded as nginx -t prints it after "[warn]": an ignored directive. */
  readonly warn: (message: string) => void;
}

/**
 * checkDirective for a reader of `where`: true when the reader is to read the directive;
 * false for one zonesync ignores, of which the warning has been given.
 */
export function readsDirective(d: Directive, where: BlockContext, context: SchemaContext): boolean {
  if (checkDirective(d, where) === 'read') return true;
  context.warn(`"${d.name}" is ignored by zonesync in ${d.file}:${d.line}`);
  return false;
}

export const sourceOf = (d: Directive): SourceLocation => ({ file: d.file, line: d.line });

export function duplicateDirective(d: Directive): ConfigError {
  return new ConfigError(`"${d.name}" directive is duplicate`, d);
}

/**
 * The directives written at one level (stream, or one server) that a lower level inherits:
 * as nginx's merge, the lower level's value wins, an array directive (allow, ssl_certificate,
 * …) is inherited whole and only when the lower level has none of it.
 */
export class InheritableLevel {
  private readonly entries = new Map<string, { value: unknown; source: SourceLocation }>();

  /** A directive that may appear once per level. */
  setOnce(key: string, d: Directive, value: unknown): void {
    if (this.entries.has(key)) throw duplicateDirective(d);
    this.entries.set(key, { value, source: sourceOf(d) });
  }

  /** A repeatable directive: one more item of its list at this level. */
  append(key: string, d: Directive, item: unknown): void {
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, { value: [item], source: sourceOf(d) });
    else (entry.value as unknown[]).push(item);
  }

  get(key: string): { value: unknown; source: SourceLocation } | undefined {
    return this.entries.get(key);
  }
}

/** Reads settings through a chain of levels, innermost first, recording where each came from. */
export class InheritedView {
  readonly sources: Record<string, SourceLocation> = {};

  constructor(private readonly levels: readonly InheritableLevel[]) {}

  value<T>(key: string, fallback: T): T {
    for (const level of this.levels) {
      const entry = level.get(key);
      if (entry !== undefined) {
        this.sources[key] = entry.source;
        return entry.value as T;
      }
    }
    return fallback;
  }
}
