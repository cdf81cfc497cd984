// The parser of nginx's configuration syntax (ngx_conf_parse): a file is a list of
// directives, each "name arg... ;" or "name arg... { directives }". It knows no directive
// except "include", which it expands in place, so the tree it returns has no include left.
//
// Relative paths of "include" are resolved against the prefix, as nginx resolves them
// against its configuration prefix: by default the directory of the top-level file (so the
// same "include conf.d/*.conf;" means the same files wherever it is written). A "*", "?" or
// "[...]" in the last path component makes a glob: the matching files in name order, none
// being no error. A plain path must exist.

import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Directive } from './ast.js';
import { ConfigError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

export interface ParseOptions {
  /** Base of relative include paths; default: the directory of the top-level file. */
  readonly prefix?: string;
  /** Reads an included file; default: fs.readFileSync as UTF-8. */
  readonly readFile?: (path: string) => string;
  /** Lists a directory for an include glob; default: fs.readdirSync. */
  readonly listDirectory?: (path: string) => string[];
  /**
   * Called with each directive as soon as its head ends (at its ";", or at its "{": its
   * block is then empty), before the parser reads on, with the names of the blocks it is
   * in (outermost first); may throw.
   * nginx checks a directive's name and shape there, so that a block directive written
   * without its "{" is reported on its own line rather than at a "}" further down.
   */
  readonly checkHead?: DirectiveHeadCheck;
}

export type DirectiveHeadCheck = (directive: Directive, enclosing: readonly string[]) => void;

/* Includes nested deeper than this are refused: a bound, and a guard against cycles. */
export const MAX_INCLUDE_DEPTH = 32;

interface ParseContext {
  readonly prefix: string;
  readonly readFile: (path: string) => string;
  readonly listDirectory: (path: string) => string[];
  readonly checkHead: DirectiveHeadCheck | undefined;
  /** Files being parsed, outermost first: one entry per nested include. */
  readonly fileStack: string[];
}

/** Parses configuration text; `fileName` names it in errors and anchors relative includes. */
export function parseConfigSyntax(text: string, fileName: string, options: ParseOptions = {}): Directive[] {
  const context: ParseContext = {
    prefix: options.prefix ?? dirname(resolve(fileName)),
    readFile: options.readFile ?? ((path) => readFileSync(path, 'utf8')),
    listDirectory: options.listDirectory ?? ((path) => readdirSync(path)),
    checkHead: options.checkHead,
    fileStack: [fileName],
  };
  return parseFile(text, fileName, context, []);
}

/** Reads and parses a file (absolute, or relative to the working directory). */
export function parseConfigFile(path: string, options: ParseOptions = {}): Directive[] {
  const absolute = resolve(path);
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return parseConfigSyntax(readTextFile(absolute, readFile), absolute, options);
}

/* `enclosing`: the names of the blocks the text is in (an included file's are those of its include). */
function parseFile(text: string, file: string, context: ParseContext, enclosing: readonly string[]): Directive[] {
  const tokenizer = new Tokenizer(text, file);
  return parseDirectives(tokenizer, file, context, enclosing, false);
}

/* Reads directives up to the "}" that closes the block (inBlock) or to the end of file. */
function parseDirectives(tokenizer: Tokenizer, file: string, context: ParseContext, enclosing: readonly string[], inBlock: boolean): Directive[] {
  const directives: Directive[] = [];
  for (;;) {
    const args: string[] = [];
    let startLine = 0;
    for (;;) {
      const token = tokenizer.next();
      if (token.kind === 'word') {
        if (args.length === 0) startLine = token.line;
        args.push(token.text);
        continue;
      }
      const where = { file, line: token.line };
      if (token.kind === 'eof') {
        if (args.length > 0) throw tokenizer.unexpectedEof();
        if (inBlock) throw new ConfigError('unexpected end of file, expecting "}"', where);
        return directives;
      }
      if (token.kind === '}') {
        if (args.length > 0 || !inBlock) throw new ConfigError('unexpected "}"', where);
        return directives;
      }
      if (args.length === 0) throw new ConfigError(`unexpected "${token.kind}"`, where);
      const [name, ...rest] = args as [string, ...string[]];
      const head = { name, args: rest, file, line: startLine };
      if (token.kind === '{' && name === 'include') {
        throw new ConfigError('directive "include" is not terminated by ";"', head);
      }
      if (name !== 'include') context.checkHead?.(token.kind === '{' ? { ...head, block: [] } : head, enclosing);
      if (token.kind === '{') {
        directives.push({ ...head, block: parseDirectives(tokenizer, file, context, [...enclosing, name], true) });
      } else if (name === 'include') {
        directives.push(...expandInclude(head, context, enclosing));
      } else {
        directives.push(head);
      }
      break;
    }
  }
}

function expandInclude(include: Directive, context: ParseContext, enclosing: readonly string[]): Directive[] {
  if (include.args.length !== 1) {
    throw new ConfigError('invalid number of arguments in "include" directive', include);
  }
  if (context.fileStack.length > MAX_INCLUDE_DEPTH) {
    throw new ConfigError(`includes nested deeper than ${MAX_INCLUDE_DEPTH} (an include cycle?)`, include);
  }
  const pattern = include.args[0]!;
  const path = isAbsolute(pattern) ? pattern : join(context.prefix, pattern);
  const files = hasGlob(basename(path)) ? globLastComponent(path, context) : [path];
  const directives: Directive[] = [];
  for (const file of files) {
    if (context.fileStack.includes(file)) {
      throw new ConfigError(`include cycle: "${file}" includes itself`, include);
    }
    let text: string;
    try {
      text = readTextFile(file, context.readFile);
    } catch (error) {
      throw new ConfigError((error as Error).message, include);
    }
    context.fileStack.push(file);
    directives.push(...parseFile(text, file, context, enclosing));
    context.fileStack.pop();
  }
  return directives;
}

function readTextFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`open() "${path}" failed (${code})`);
  }
}

const hasGlob = (component: string): boolean => /[*?[]/.test(component);

function globLastComponent(path: string, context: ParseContext): string[] {
  const directory = dirname(path);
  const matcher = globToRegExp(basename(path));
  let names: string[];
  try {
    names = context.listDirectory(directory);
  } catch {
    return []; // as glob(3): a missing directory matches nothing
  }
  return names
    .filter((name) => matcher.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(directory, name));
}

/* "*" any run, "?" one character, "[...]" a class; everything else literal. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    const classEnd = ch === '[' ? glob.indexOf(']', i + 2) : -1;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (classEnd > 0) {
      source += `[${glob.slice(i + 1, classEnd).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = classEnd;
    } else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
