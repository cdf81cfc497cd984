// The syntax tree of an nginx-style configuration: directives, their arguments as written
// (quotes removed, escapes applied) and the place each was found. No meaning is attached here;
// that is the schema's job.

export interface SourceLocation {
  /** Absolute path of the file, or the name given to parseConfigText. */
  readonly file: string;
  /** 1-based line of the directive's name (or of the offending token for syntax errors). */
  readonly line: number;
}

export interface Directive extends SourceLocation {
  readonly name: string;
  readonly args: readonly string[];
  /** Present iff the directive was followed by "{ ... }" (possibly empty). */
  readonly block?: readonly Directive[];
}
