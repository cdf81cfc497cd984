import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfigFile, parseConfigSyntax } from '../../dist/config/index.js';
import type { Directive } from '../../dist/config/index.js';

const FILE = '/etc/zonesync/test.conf';
const parse = (text: string): Directive[] => parseConfigSyntax(text, FILE);
/* name and args only, nested, for compact assertions */
const shape = (ds: readonly Directive[]): unknown =>
  ds.map((d) => (d.block === undefined ? [d.name, ...d.args] : [d.name, ...d.args, shape(d.block)]));

function expectSyntaxError(text: string, message: string, line: number): void {
  let caught: unknown;
  try {
    parse(text);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).message).toBe(`${message} in ${FILE}:${line}`);
  expect((caught as ConfigError).line).toBe(line);
  expect((caught as ConfigError).file).toBe(FILE);
}

describe('parser: structure', () => {
  it('reads directives, arguments and nested blocks with their lines', () => {
    const ds = parse('worker_processes 2;\nstream {\n  server {\n    zone_sync;\n  }\n}\n');
    expect(shape(ds)).toEqual([['worker_processes', '2'], ['stream', [['server', [['zone_sync']]]]]]);
    expect(ds[0]).toMatchObject({ file: FILE, line: 1 });
    expect(ds[1]!.line).toBe(2);
    expect(ds[1]!.block![0]!.line).toBe(3);
    expect(ds[1]!.block![0]!.block![0]!.line).toBe(4);
  });

  it('keeps an empty block distinct from no block', () => {
    const ds = parse('events {}\npid x;');
    expect(ds[0]!.block).toEqual([]);
    expect(ds[1]!.block).toBeUndefined();
  });

  it('gives a directive spanning lines the line of its name', () => {
    const ds = parse('\n\nsticky learn\n   create=$a\n   lookup=$b;');
    expect(ds[0]!.line).toBe(3);
    expect(ds[0]!.args).toEqual(['learn', 'create=$a', 'lookup=$b']);
  });

  it('needs no space before ";" or "{" and allows several directives on a line', () => {
    expect(shape(parse('a 1;b{c;}d;'))).toEqual([['a', '1'], ['b', [['c']]], ['d']]);
  });

  it('returns nothing for an empty or comment-only file', () => {
    expect(parse('')).toEqual([]);
    expect(parse('  # only a comment\n\n')).toEqual([]);
  });
});

describe('parser: comments', () => {
  it('skips "#" to the end of the line when it starts a token', () => {
    expect(shape(parse('a 1; # b 2;\n# c;\nd # e;\n;'))).toEqual([['a', '1'], ['d']]);
  });

  it('keeps "#" inside a word, as nginx', () => {
    expect(shape(parse('a b#c;'))).toEqual([['a', 'b#c']]);
  });

  it('keeps "#" inside quotes', () => {
    expect(shape(parse('a "b # c";'))).toEqual([['a', 'b # c']]);
  });
});

describe('parser: quotes and escapes', () => {
  it('reads double and single quoted strings, with spaces, ";" and braces inside', () => {
    expect(shape(parse(`auth_basic "NGINX Plus API"; x 'a;b{c}';`))).toEqual([['auth_basic', 'NGINX Plus API'], ['x', 'a;b{c}']]);
  });

  it('reads an empty quoted string as an empty argument', () => {
    expect(parse('x "" \'\';')[0]!.args).toEqual(['', '']);
  });

  it('applies nginx escapes: \\" \\\' \\\\ \\t \\r \\n; others stay as written', () => {
    expect(parse(String.raw`x "a\"b" 'c\'d' "e\\f" "t\tr\rn\n" "\d";`)[0]!.args)
      .toEqual(['a"b', "c'd", 'e\\f', 't\tr\rn\n', '\\d']);
  });

  it('applies escapes in unquoted words too; an escaped space or ";" joins the word, backslash kept, as nginx', () => {
    expect(parse(String.raw`x a\"b c\td a\ b c\;d;`)[0]!.args).toEqual(['a"b', 'c\td', 'a\\ b', 'c\\;d']);
  });

  it('lets a quoted string span lines and counts them', () => {
    const ds = parse('x "a\nb";\ny;');
    expect(ds[0]!.args).toEqual(['a\nb']);
    expect(ds[1]!.line).toBe(3);
  });

  it('allows a quoted directive name', () => {
    expect(shape(parse('"zone_sync";'))).toEqual([['zone_sync']]);
  });
});

describe('parser: variables', () => {
  it('reads $variables and ${variables} as plain words', () => {
    expect(parse('keyval $arg_text $text zone=one;')[0]!.args).toEqual(['$arg_text', '$text', 'zone=one']);
    expect(parse('x ${a}b;')[0]!.args).toEqual(['${a}b']);
  });

  it('keeps "}" inside a word, as nginx', () => {
    expect(parse('x a}b;')[0]!.args).toEqual(['a}b']);
  });
});

describe('parser: syntax errors', () => {
  it.each([
    ['}', 'unexpected "}"', 1],
    ['a;\n\n}', 'unexpected "}"', 3],
    ['a {\n  b c }\n', 'unexpected "}"', 2],
    ['a;\n;', 'unexpected ";"', 2],
    ['a {\n{\n}\n}', 'unexpected "{"', 2],
    ['a b', 'unexpected end of file, expecting ";" or "}"', 1],
    ['a b\n\n', 'unexpected end of file, expecting ";" or "}"', 3],
    ['a {\n  b;\n', 'unexpected end of file, expecting "}"', 3],
    ['a {\n  b {\n  }\n', 'unexpected end of file, expecting "}"', 4],
    ['a "b;\n', 'unexpected end of file, expecting ";" or "}"', 2],
    ["a 'b;", 'unexpected end of file, expecting ";" or "}"', 1],
    ['a "b"c;', 'unexpected "c"', 1],
    ['x;\na "b"}', 'unexpected "}"', 2],
    ['a "b"#c;', 'unexpected "#"', 1],
    ['location / { return 200 ok}', 'unexpected end of file, expecting ";" or "}"', 1],
  ])('%j → %s at line %d', (text, message, line) => {
    expectSyntaxError(text, message, line);
  });
});

describe('parser: include', () => {
  function tree(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'zonesync-config-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return root;
  }

  it('splices an included file in place, with its own file and lines', () => {
    const root = tree({ 'main.conf': 'a;\ninclude part.conf;\nz;', 'part.conf': '\nb 1;\nc { d; }' });
    const ds = parseConfigFile(join(root, 'main.conf'));
    expect(shape(ds)).toEqual([['a'], ['b', '1'], ['c', [['d']]], ['z']]);
    expect(ds[1]).toMatchObject({ file: join(root, 'part.conf'), line: 2 });
    expect(ds[3]).toMatchObject({ file: join(root, 'main.conf'), line: 3 });
  });

  it('expands a glob in the last component in name order, skipping non-matches', () => {
    const root = tree({
      'main.conf': 'http { include conf.d/*.conf; }',
      'conf.d/b.conf': 'b;', 'conf.d/a.conf': 'a;', 'conf.d/c.txt': 'c;',
    });
    expect(shape(parseConfigFile(join(root, 'main.conf')))).toEqual([['http', [['a'], ['b']]]]);
  });

  it('accepts a glob that matches nothing', () => {
    const root = tree({ 'main.conf': 'include none/*.conf;\na;' });
    expect(shape(parseConfigFile(join(root, 'main.conf')))).toEqual([['a']]);
  });

  it('resolves nested includes against the prefix (the top-level directory), as nginx', () => {
    const root = tree({ 'main.conf': 'include sub/one.conf;', 'sub/one.conf': 'include sub/two.conf;', 'sub/two.conf': 'two;' });
    expect(shape(parseConfigFile(join(root, 'main.conf')))).toEqual([['two']]);
  });

  it('reports a missing file at the include line', () => {
    const root = tree({ 'main.conf': 'a;\n\ninclude missing.conf;' });
    expect(() => parseConfigFile(join(root, 'main.conf')))
      .toThrow(`open() "${join(root, 'missing.conf')}" failed (ENOENT) in ${join(root, 'main.conf')}:3`);
  });

  it('reports a syntax error inside the included file with its name', () => {
    const root = tree({ 'main.conf': 'include bad.conf;', 'bad.conf': 'a;\nb {' });
    expect(() => parseConfigFile(join(root, 'main.conf')))
      .toThrow(`unexpected end of file, expecting "}" in ${join(root, 'bad.conf')}:2`);
  });

  it('refuses "}" that closes a block of the including file', () => {
    const root = tree({ 'main.conf': 'http {\ninclude x.conf;\n', 'x.conf': '}' });
    expect(() => parseConfigFile(join(root, 'main.conf'))).toThrow(`unexpected "}" in ${join(root, 'x.conf')}:1`);
  });

  it('detects an include cycle', () => {
    const root = tree({ 'main.conf': 'include a.conf;', 'a.conf': 'include b.conf;', 'b.conf': '\ninclude a.conf;' });
    expect(() => parseConfigFile(join(root, 'main.conf')))
      .toThrow(`include cycle: "${join(root, 'a.conf')}" includes itself in ${join(root, 'b.conf')}:2`);
  });

  it('checks include arguments and refuses a block', () => {
    expectSyntaxError('include a b;', 'invalid number of arguments in "include" directive', 1);
    expectSyntaxError('\ninclude a { }', 'directive "include" is not terminated by ";"', 2);
  });

  it('reports a missing top-level file without a location', () => {
    expect(() => parseConfigFile('/nonexistent/zonesync.conf')).toThrow('open() "/nonexistent/zonesync.conf" failed (ENOENT)');
  });
});
