// The character level of HCL's native syntax, under the parser: positions, blanks and comments (a
// newline counts where it ends something), names, and templates — quoted strings with escapes,
// `${}` interpolations, `%{if}`/`%{for}` directives, `~` strip markers, and heredocs (`<<EOT`,
// `<<-EOT` stripping the common indent). Interpolated expressions are the parser's (parseExpr).
import type { Expr, Position, TemplatePart } from './ast.js';
import { HclError } from './errors.js';

export const isIdentStart = (c: string | undefined) => c !== undefined && /[\p{L}_]/u.test(c);
export const isIdentPart = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_-]/u.test(c);
export const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

type RawPart =
  | TemplatePart
  | { kind: 'open'; directive: 'if' | 'for'; expr: Expr; keyVar?: string; valueVar?: string; at: Position }
  | { kind: 'else' | 'endif' | 'endfor'; at: Position };

export abstract class HclScanner {
  protected pos = 0;
  protected line = 1;
  protected column = 1;
  /** Whether a newline ends what is being parsed (an attribute, an object item), innermost last. */
  protected newlines: boolean[] = [true];

  constructor(
    readonly source: string,
    protected readonly file: string,
  ) {}

  protected here(): Position {
    return { file: this.file, line: this.line, column: this.column };
  }

  protected fail(message: string, at: Position = this.here()): never {
    throw new HclError(message, at, this.source);
  }

  protected peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  protected startsWith(text: string): boolean {
    return this.source.startsWith(text, this.pos);
  }

  protected advance(count = 1): string {
    let taken = '';
    for (let i = 0; i < count && this.pos < this.source.length; i++) {
      const char = this.source[this.pos++];
      taken += char;
      if (char === '\n') {
        this.line++;
        this.column = 1;
      } else this.column++;
    }
    return taken;
  }

  /** Skips blanks and comments; newlines too unless they are significant here (`keepNewlines`). */
  protected skip(keepNewlines = this.newlines[this.newlines.length - 1]): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.advance();
      else if (c === '\n' && !keepNewlines) this.advance();
      else if (c === '#' || this.startsWith('//')) {
        while (this.peek() !== undefined && this.peek() !== '\n') this.advance();
      } else if (this.startsWith('/*')) {
        const end = this.source.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.advance(end + 2 - this.pos);
      } else return;
    }
  }

  protected expect(text: string, what = JSON.stringify(text)): void {
    this.skip();
    if (!this.startsWith(text)) this.fail(`expected ${what}${this.found()}`);
    this.advance(text.length);
  }

  protected found(): string {
    const c = this.peek();
    if (c === undefined) return ', found the end of the file';
    if (c === '\n') return ', found a newline';
    return `, found ${JSON.stringify(this.source.slice(this.pos, this.pos + 12).split('\n')[0])}`;
  }

  protected identifier(): string {
    if (!isIdentStart(this.peek())) this.fail(`expected a name${this.found()}`);
    let name = '';
    while (isIdentPart(this.peek())) name += this.advance();
    return name;
  }

  // Bodies

  /** An expression at the current position (the parser's). */
  abstract parseExpr(): Expr;

  /** A scanner of the same kind over other text of this file (a heredoc's). */
  protected abstract inner(source: string): HclScanner;

  // Templates

  protected parseTemplate(at: Position): Expr {
    this.advance();
    const raw = this.templateParts('"');
    this.advance();
    return { kind: 'template', parts: nest(raw, this), at };
  }

  protected parseHeredoc(at: Position): Expr {
    this.advance(2);
    const indented = this.peek() === '-';
    if (indented) this.advance();
    const marker = this.identifier();
    if (this.peek() === '\r') this.advance();
    if (this.peek() !== '\n') this.fail('expected a newline after the heredoc marker');
    this.advance();
    // The content ends at a line holding only the marker (blanks around it allowed).
    const lines: string[] = [];
    for (;;) {
      if (this.peek() === undefined) this.fail(`unterminated heredoc: no line with ${marker}`, at);
      let end = this.source.indexOf('\n', this.pos);
      if (end < 0) end = this.source.length;
      const line = this.source.slice(this.pos, end);
      if (line.trim() === marker) {
        this.advance(line.length);
        break;
      }
      lines.push(line);
      this.advance(end - this.pos + (end < this.source.length ? 1 : 0));
    }
    let content = lines.map((line) => `${line}\n`).join('');
    if (indented) {
      const indents = lines.filter((line) => line.trim() !== '').map((line) => /^[ \t]*/.exec(line)?.[0].length ?? 0);
      const strip = indents.length > 0 ? Math.min(...indents) : 0;
      content = lines.map((line) => `${line.slice(Math.min(strip, /^[ \t]*/.exec(line)?.[0].length ?? 0))}\n`).join('');
    }
    const inner = this.inner(content);
    inner.line = at.line + 1;
    const raw = inner.templateParts(undefined);
    return { kind: 'template', parts: nest(raw, this), at };
  }

  /** Template parts up to `end` (a quote) or the end of the text (heredocs: no escapes but $${ and %%{). */
  templateParts(end: '"' | undefined): RawPart[] {
    const parts: RawPart[] = [];
    let text = '';
    let stripNext = false;
    const pushText = () => {
      if (stripNext) text = text.replace(/^\s+/, '');
      stripNext = false;
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
    };
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        if (end !== undefined) this.fail('unterminated string');
        pushText();
        return parts;
      }
      if (end !== undefined && c === end) {
        pushText();
        return parts;
      }
      if (end !== undefined && c === '\n') this.fail('a quoted string cannot span lines: use a heredoc (<<EOT)');
      if (this.startsWith('$${') || this.startsWith('%%{')) {
        text += this.advance(3).slice(1);
        continue;
      }
      if (this.startsWith('${') || this.startsWith('%{')) {
        const directive = c === '%';
        const at = this.here();
        this.advance(2);
        if (this.peek() === '~') {
          this.advance();
          text = text.replace(/\s+$/, '');
        }
        pushText();
        this.newlines.push(false);
        if (directive) parts.push(this.parseDirective(at));
        else parts.push({ kind: 'interpolation', expr: this.parseExpr() });
        this.skip();
        if (this.peek() === '~') {
          this.advance();
          stripNext = true;
        }
        this.expect('}');
        this.newlines.pop();
        continue;
      }
      if (c === '\\' && end !== undefined) {
        this.advance();
        const escaped = this.advance();
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
        if (escaped in simple) text += simple[escaped];
        else if (escaped === 'u' || escaped === 'U') {
          const digits = this.advance(escaped === 'u' ? 4 : 8);
          if (!/^[0-9a-fA-F]+$/.test(digits)) this.fail(`invalid escape \\${escaped}${digits}`);
          text += String.fromCodePoint(parseInt(digits, 16));
        } else this.fail(`invalid escape sequence \\${escaped}`);
        continue;
      }
      text += this.advance();
    }
  }

  protected parseDirective(at: Position): RawPart {
    this.skip();
    const word = this.identifier();
    if (word === 'if') return { kind: 'open', directive: 'if', expr: this.parseExpr(), at };
    if (word === 'for') {
      this.skip();
      const first = this.identifier();
      this.skip();
      let keyVar: string | undefined;
      let valueVar = first;
      if (this.peek() === ',') {
        this.advance();
        this.skip();
        keyVar = first;
        valueVar = this.identifier();
      }
      this.skip();
      if (!this.startsWith('in')) this.fail(`expected "in"${this.found()}`);
      this.advance(2);
      return { kind: 'open', directive: 'for', expr: this.parseExpr(), ...(keyVar ? { keyVar } : {}), valueVar, at };
    }
    if (word === 'else' || word === 'endif' || word === 'endfor') return { kind: word, at };
    return this.fail(`unknown template directive %{${word}}`, at);
  }

  /** Raises an error at a position of this file (for the template nesting check). */
  raise(message: string, at: Position): never {
    return this.fail(message, at);
  }
}

/** Turns the flat directive markers of a template into nested if/for parts. */
function nest(raw: RawPart[], parser: HclScanner): TemplatePart[] {
  let index = 0;
  const sequence = (until: Array<'else' | 'endif' | 'endfor'>): { parts: TemplatePart[]; end?: RawPart } => {
    const parts: TemplatePart[] = [];
    while (index < raw.length) {
      const part = raw[index++];
      if (part.kind === 'else' || part.kind === 'endif' || part.kind === 'endfor') {
        if (!until.includes(part.kind)) parser.raise(`unexpected %{${part.kind}}`, part.at);
        return { parts, end: part };
      }
      if (part.kind === 'open') {
        if (part.directive === 'if') {
          const then = sequence(['else', 'endif']);
          let otherwise: TemplatePart[] = [];
          if (then.end?.kind === 'else') otherwise = sequence(['endif']).parts;
          else if (then.end === undefined) parser.raise('%{if} without %{endif}', part.at);
          parts.push({ kind: 'if', condition: part.expr, then: then.parts, else: otherwise, at: part.at });
        } else {
          const body = sequence(['endfor']);
          if (body.end === undefined) parser.raise('%{for} without %{endfor}', part.at);
          parts.push({
            kind: 'for',
            ...(part.keyVar !== undefined ? { keyVar: part.keyVar } : {}),
            valueVar: part.valueVar ?? '',
            collection: part.expr,
            body: body.parts,
            at: part.at,
          });
        }
        continue;
      }
      parts.push(part as TemplatePart);
    }
    return { parts };
  };
  return sequence([]).parts;
}
