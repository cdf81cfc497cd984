// The lexer of nginx's configuration syntax, after ngx_conf_read_token:
//
// - tokens are separated by space, tab, CR and LF; ";", "{" and "}" are tokens of their own
//   when they start a token; "#" starting a token comments out the rest of the line;
// - a token starting with ' or " runs to the matching quote, which must be followed by
//   whitespace, ";" or "{"; "\" escapes the next character, quoted or not;
// - inside an unquoted word, "}", "#" and quotes are ordinary characters, and "{" right after
//   "$" belongs to the word ("${name}"), so variables read as plain words;
// - a word's text has nginx's escapes applied: \" \' \\ become the character, \t \r \n the
//   control character, and any other "\x" stays as written.

import { ConfigError } from './errors.js';

export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly line: number }
  | { readonly kind: ';' | '{' | '}' | 'eof'; readonly line: number };

const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

export class Tokenizer {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  next(): Token {
    this.skipSpaceAndComments();
    if (this.pos >= this.text.length) return { kind: 'eof', line: this.line };
    const ch = this.text[this.pos]!;
    if (ch === ';' || ch === '{' || ch === '}') {
      this.pos++;
      return { kind: ch, line: this.line };
    }
    if (ch === '"' || ch === "'") return this.readQuoted(ch);
    return this.readWord();
  }

  private skipSpaceAndComments(): void {
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else if (isSpace(ch)) {
        if (ch === '\n') this.line++;
        this.pos++;
      } else {
        return;
      }
    }
  }

  private readQuoted(quote: string): Token {
    const startLine = this.line;
    const start = ++this.pos;
    for (;;) {
      if (this.pos >= this.text.length) throw this.unexpectedEof();
      const ch = this.text[this.pos]!;
      if (ch === '\n') this.line++;
      if (ch === '\\') {
        if (this.text[this.pos + 1] === '\n') this.line++;
        this.pos += 2;
        continue;
      }
      if (ch === quote) break;
      this.pos++;
    }
    const raw = this.text.slice(start, this.pos);
    this.pos++;
    const after = this.text[this.pos];
    if (after !== undefined && !isSpace(after) && after !== ';' && after !== '{') {
      throw new ConfigError(`unexpected "${after}"`, { file: this.file, line: this.line });
    }
    return { kind: 'word', text: unescape(raw), line: startLine };
  }

  private readWord(): Token {
    const startLine = this.line;
    const start = this.pos;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '\\') {
        if (this.text[this.pos + 1] === '\n') this.line++;
        this.pos += 2;
        continue;
      }
      if (ch === '$' && this.text[this.pos + 1] === '{') {
        this.pos += 2;
        continue;
      }
      if (isSpace(ch) || ch === ';' || ch === '{') break;
      this.pos++;
    }
    return { kind: 'word', text: unescape(this.text.slice(start, Math.min(this.pos, this.text.length))), line: startLine };
  }

  unexpectedEof(): ConfigError {
    return new ConfigError('unexpected end of file, expecting ";" or "}"', { file: this.file, line: this.line });
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

/** nginx's escape rules for a token's text (see the header). */
export function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const replacement = ch === '\\' ? ESCAPES[raw[i + 1] ?? ''] : undefined;
    if (replacement === undefined) {
      out += ch;
    } else {
      out += replacement;
      i++;
    }
  }
  return out;
}
