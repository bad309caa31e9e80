// A hand-written parser of HCL's native syntax (hashicorp/hcl hclsyntax), as bake files are written:
// attributes and labelled blocks; expressions with templates (`${}`, `%{if}`, `%{for}`, strip markers),
// heredocs, tuples, objects, for expressions, splats, function calls with `...`, and HCL's operator
// precedence. Newlines end an attribute, and separate object items, but not inside () or [].
// No maintained HCL parser exists on npm (ecosystem.md §2.2).
import type { Attribute, Block, Body, Expr, Position, Step } from './ast.js';
import { HclScanner, isDigit, isIdentPart, isIdentStart } from './scanner.js';

const binaryPrecedence: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

export class HclParser extends HclScanner {
  constructor(source: string, file: string) {
    super(source, file);
  }

  protected inner(source: string): HclScanner {
    return new HclParser(source, this.file);
  }

  /** One expression that is the whole text (a JSON document). */
  parseWholeExpr(): Expr {
    this.newlines = [false];
    const expr = this.parseExpr();
    this.skip(false);
    if (this.peek() !== undefined) this.fail(`unexpected ${JSON.stringify(this.peek())} after the document`);
    return expr;
  }

  parseFile(): Body {
    const body = this.parseBody(false);
    this.skip(false);
    if (this.peek() !== undefined) this.fail(`unexpected ${JSON.stringify(this.peek())}`);
    return body;
  }

  private parseBody(inBraces: boolean): Body {
    const body: Body = { attributes: [], blocks: [] };
    for (;;) {
      this.skip(false);
      const c = this.peek();
      if (c === undefined || (inBraces && c === '}')) return body;
      const at = this.here();
      const name = this.identifier();
      this.skip(true);
      if (this.peek() === '=' && this.peek(1) !== '=') {
        this.advance();
        this.newlines.push(true);
        const expr = this.parseExpr();
        this.newlines.pop();
        body.attributes.push({ name, expr, at } satisfies Attribute);
      } else {
        const labels: string[] = [];
        for (;;) {
          this.skip(true);
          if (this.peek() === '{') break;
          if (this.peek() === '"') {
            const label = this.parseTemplate(this.here());
            if (label.kind !== 'template' || label.parts.some((part) => part.kind !== 'text'))
              this.fail('a block label must be a plain string', label.at);
            labels.push(label.parts.map((part) => (part.kind === 'text' ? part.text : '')).join(''));
          } else if (isIdentStart(this.peek())) labels.push(this.identifier());
          else this.fail(`expected "=" or a block${this.found()}`);
        }
        this.advance();
        const inner = this.parseBody(true);
        this.skip(false);
        if (this.peek() !== '}') this.fail(`expected "}" to end the ${name} block${this.found()}`);
        this.advance();
        body.blocks.push({ type: name, labels, body: inner, at } satisfies Block);
      }
      // An item ends at a newline, the end of the file or (one-line blocks) the closing brace.
      this.skip(true);
      const end = this.peek();
      if (end === '\n') this.advance();
      else if (end !== undefined && !(inBraces && end === '}')) this.fail(`expected a newline${this.found()}`);
    }
  }

  // Expressions

  parseExpr(): Expr {
    const condition = this.parseBinary(1);
    this.skip();
    if (this.peek() !== '?') return condition;
    this.advance();
    const then = this.parseExpr();
    this.expect(':');
    const otherwise = this.parseExpr();
    return { kind: 'conditional', condition, then, else: otherwise, at: condition.at };
  }

  private operator(): string | undefined {
    this.skip();
    for (const op of ['||', '&&', '==', '!=', '<=', '>=']) if (this.startsWith(op)) return op;
    const c = this.peek();
    if (c === '<' && this.peek(1) !== '<') return c;
    if (c === '>' || c === '+' || c === '*' || c === '%') return c;
    if (c === '/' && this.peek(1) !== '/' && this.peek(1) !== '*') return c;
    if (c === '-') return c;
    return undefined;
  }

  private parseBinary(minimum: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const op = this.operator();
      const precedence = op !== undefined ? binaryPrecedence[op] : undefined;
      if (op === undefined || precedence === undefined || precedence < minimum) return left;
      this.advance(op.length);
      const right = this.parseBinary(precedence + 1);
      left = { kind: 'binary', op, left, right, at: left.at };
    }
  }

  private parseUnary(): Expr {
    this.skip();
    const at = this.here();
    const c = this.peek();
    if (c === '!' || (c === '-' && this.peek(1) !== '>')) {
      this.advance();
      return { kind: 'unary', op: c, operand: this.parseUnary(), at };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expr: Expr): Expr {
    let result = expr;
    for (;;) {
      // A traversal continues only right after its operand (no blank before `.` or `[` at a newline).
      const save = { pos: this.pos, line: this.line, column: this.column };
      this.skip();
      if (this.peek() === '.' && this.peek(1) !== '.') {
        this.advance();
        if (this.peek() === '*') {
          this.advance();
          return this.parseSplat(result);
        }
        if (isDigit(this.peek())) {
          let digits = '';
          while (isDigit(this.peek())) digits += this.advance();
          result = {
            kind: 'index',
            object: result,
            key: { kind: 'literal', value: Number(digits), at: result.at },
            at: result.at,
          };
          continue;
        }
        result = { kind: 'attr', object: result, name: this.identifier(), at: result.at };
      } else if (this.peek() === '[') {
        this.advance();
        this.newlines.push(false);
        this.skip();
        if (this.peek() === '*') {
          this.advance();
          this.expect(']');
          this.newlines.pop();
          return this.parseSplat(result);
        }
        const key = this.parseExpr();
        this.expect(']');
        this.newlines.pop();
        result = { kind: 'index', object: result, key, at: result.at };
      } else {
        Object.assign(this, save);
        return result;
      }
    }
  }

  private parseSplat(source: Expr): Expr {
    const steps: Step[] = [];
    for (;;) {
      if (this.peek() === '.' && isIdentStart(this.peek(1))) {
        this.advance();
        steps.push({ kind: 'attr', name: this.identifier() });
      } else if (this.peek() === '[' && this.peek(1) !== '*') {
        this.advance();
        this.newlines.push(false);
        const key = this.parseExpr();
        this.expect(']');
        this.newlines.pop();
        steps.push({ kind: 'index', key });
      } else return { kind: 'splat', source, steps, at: source.at };
    }
  }

  private parsePrimary(): Expr {
    this.skip();
    const at = this.here();
    const c = this.peek();
    if (c === undefined) this.fail('expected an expression, found the end of the file');
    if (isDigit(c)) return this.parseNumber(at);
    if (c === '"') return this.parseTemplate(at);
    if (this.startsWith('<<')) return this.parseHeredoc(at);
    if (c === '(') {
      this.advance();
      this.newlines.push(false);
      const inner = this.parseExpr();
      this.expect(')');
      this.newlines.pop();
      return { kind: 'parens', inner, at };
    }
    if (c === '[') return this.parseTuple(at);
    if (c === '{') return this.parseObject(at);
    if (isIdentStart(c)) {
      const name = this.identifier();
      if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true', at };
      if (name === 'null') return { kind: 'literal', value: null, at };
      if (this.peek() === '(') return this.parseCall(name, at);
      return { kind: 'variable', name, at };
    }
    return this.fail(`expected an expression${this.found()}`);
  }

  private parseNumber(at: Position): Expr {
    let text = '';
    while (isDigit(this.peek())) text += this.advance();
    if (this.peek() === '.' && isDigit(this.peek(1))) {
      text += this.advance();
      while (isDigit(this.peek())) text += this.advance();
    }
    if ((this.peek() === 'e' || this.peek() === 'E') && (isDigit(this.peek(1)) || /[+-]/.test(this.peek(1) ?? ''))) {
      text += this.advance();
      if (this.peek() === '+' || this.peek() === '-') text += this.advance();
      while (isDigit(this.peek())) text += this.advance();
    }
    return { kind: 'literal', value: Number(text), at };
  }

  private parseCall(name: string, at: Position): Expr {
    this.advance();
    this.newlines.push(false);
    const args: Expr[] = [];
    let expandFinal = false;
    this.skip();
    while (this.peek() !== ')') {
      args.push(this.parseExpr());
      this.skip();
      if (this.startsWith('...')) {
        this.advance(3);
        expandFinal = true;
        this.skip();
        if (this.peek() !== ')') this.fail('"..." may only follow the last argument');
        break;
      }
      if (this.peek() === ',') {
        this.advance();
        this.skip();
      } else if (this.peek() !== ')') this.fail(`expected "," or ")" in the arguments of ${name}${this.found()}`);
    }
    this.advance();
    this.newlines.pop();
    return { kind: 'call', name, args, expandFinal, at };
  }

  /** `for` right after an opening bracket or brace starts a for expression. */
  private atFor(): boolean {
    this.skip(false);
    return this.startsWith('for') && /\s/.test(this.peek(3) ?? '');
  }

  private parseFor(at: Position, object: boolean): Expr {
    this.advance(3);
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
    if (!this.startsWith('in') || isIdentPart(this.peek(2))) this.fail(`expected "in"${this.found()}`);
    this.advance(2);
    const collection = this.parseExpr();
    this.expect(':');
    let keyExpr: Expr | undefined;
    let valueExpr = this.parseExpr();
    let grouping = false;
    if (object) {
      this.expect('=>');
      keyExpr = valueExpr;
      valueExpr = this.parseExpr();
      this.skip();
      if (this.startsWith('...')) {
        this.advance(3);
        grouping = true;
      }
    }
    let condition: Expr | undefined;
    this.skip();
    if (this.startsWith('if') && !isIdentPart(this.peek(2))) {
      this.advance(2);
      condition = this.parseExpr();
    }
    this.expect(object ? '}' : ']');
    return {
      kind: 'for',
      ...(keyVar !== undefined ? { keyVar } : {}),
      valueVar,
      collection,
      ...(keyExpr ? { keyExpr } : {}),
      valueExpr,
      ...(condition ? { condition } : {}),
      grouping,
      object,
      at,
    };
  }

  private parseTuple(at: Position): Expr {
    this.advance();
    this.newlines.push(false);
    try {
      if (this.atFor()) return this.parseFor(at, false);
      const items: Expr[] = [];
      this.skip();
      while (this.peek() !== ']') {
        items.push(this.parseExpr());
        this.skip();
        if (this.peek() === ',') {
          this.advance();
          this.skip();
        } else if (this.peek() !== ']') this.fail(`expected "," or "]"${this.found()}`);
      }
      this.advance();
      return { kind: 'tuple', items, at };
    } finally {
      this.newlines.pop();
    }
  }

  private parseObject(at: Position): Expr {
    this.advance();
    this.newlines.push(true);
    try {
      if (this.atFor()) {
        this.newlines[this.newlines.length - 1] = false;
        return this.parseFor(at, true);
      }
      const items: Array<{ key: Expr; keyword?: string; value: Expr }> = [];
      for (;;) {
        this.skip(false);
        if (this.peek() === '}') break;
        const key = this.parseExpr();
        this.skip();
        if (this.peek() !== '=' && this.peek() !== ':')
          this.fail(`expected "=" or ":" after an object key${this.found()}`);
        this.advance();
        const value = this.parseExpr();
        items.push({ key, ...(key.kind === 'variable' ? { keyword: key.name } : {}), value });
        this.skip(true);
        if (this.peek() === ',' || this.peek() === '\n') this.advance();
        else if (this.peek() !== '}') this.fail(`expected a newline, "," or "}" in an object${this.found()}`);
      }
      this.advance();
      return { kind: 'object', items, at };
    } finally {
      this.newlines.pop();
    }
  }
}

/** Parses a file of HCL native syntax. */
export function parseHcl(source: string, file: string): Body {
  return new HclParser(source, file).parseFile();
}

/** Parses one expression (a JSON document is one). */
export function parseHclExpression(source: string, file: string): Expr {
  return new HclParser(source, file).parseWholeExpr();
}
