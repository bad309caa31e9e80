// Variable expansion with BuildKit's shell-lex semantics (frontend/dockerfile/shell/lex.go): $V, ${V},
// ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m} ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r},
// quotes, the escape character, and word splitting for the instructions that split (EXPOSE).
import { ExpansionError } from './errors.js';

export type EscapeToken = '\\' | '`';

export interface LexOptions {
  escapeToken?: EscapeToken;
  /** Keep quote characters in the result (progress names do). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to ''. */
  skipUnsetEnv?: boolean;
  /** Quotes are ordinary characters (heredoc bodies). */
  skipProcessQuotes?: boolean;
}

export interface ExpansionResult {
  value: string;
  /** Variables referenced that were set. */
  matched: Set<string>;
  /** Variables referenced that were not set. */
  unmatched: Set<string>;
}

/** Go's unicode.IsSpace (JS's \s differs: it has U+FEFF and lacks U+0085). */
export function isGoSpace(ch: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u.test(ch);
}

const isSpace = isGoSpace;
const isLetter = (ch: string) => /^\p{L}$/u.test(ch);
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isSpecialParameter = (ch: string) => '@*#?-$!0'.includes(ch) && ch.length === 1;

/** The partial-word buffer BuildKit shares between nested expansions (see processStopOn). */
interface SharedBuffer {
  text: string;
}

/** Builds words as the lexer goes: expanded text splits on spaces, quoted text never does. */
class Words {
  private inWord = false;
  readonly words: string[] = [];

  constructor(private readonly shared: SharedBuffer) {}

  private get buffer(): string {
    return this.shared.text;
  }

  private set buffer(text: string) {
    this.shared.text = text;
  }

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buffer.length > 0) {
        this.words.push(this.buffer);
        this.buffer = '';
        this.inWord = false;
      }
      return;
    }
    this.addRawChar(ch);
  }

  addRawChar(ch: string): void {
    this.buffer += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRawString(text: string): void {
    this.buffer += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buffer.length > 0) {
      this.words.push(this.buffer);
      this.buffer = '';
      this.inWord = false;
    }
    return this.words;
  }
}

const EOF = '';

class ShellWord {
  private readonly chars: string[];
  private position = 0;
  private rawEscapes: boolean;
  private readonly wordsBuffer: SharedBuffer = { text: '' };
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    word: string,
    private readonly env: ReadonlyMap<string, string>,
    private readonly options: Required<LexOptions>,
  ) {
    this.chars = [...word];
    this.rawEscapes = options.rawEscapes;
  }

  private peek(): string {
    return this.chars[this.position] ?? EOF;
  }

  private next(): string {
    const ch = this.chars[this.position] ?? EOF;
    if (ch !== EOF) this.position++;
    return ch;
  }

  private getEnv(name: string): [string, boolean] {
    const value = this.env.get(name);
    if (value !== undefined) {
      this.matched.add(name);
      return [value, true];
    }
    this.unmatched.add(name);
    return ['', false];
  }

  /** Processes up to `stop` (consumed) or the end; returns the text and its words. */
  processStopOn(stop: string, rawEscapes: boolean): { text: string; words: string[] } {
    let result = '';
    // BuildKit resets one shared word buffer here, also for nested ${...} words: text before a nested
    // expansion is lost from the split words (not from the expanded string). Kept for fidelity.
    this.wordsBuffer.text = '';
    const words = new Words(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { text: result, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          result += value;
          words.addString(value);
          continue;
        }
        if (ch === '<') {
          const value = this.processPossibleHeredoc();
          result += value;
          words.addRawString(value);
          continue;
        }
        if (!this.options.skipProcessQuotes && (ch === "'" || ch === '"')) {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += value;
          words.addRawString(value);
          continue;
        }
        let current = this.next();
        if (current === this.options.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(current);
            result += current;
          }
          // The escape character escapes the next one; at the very end it is dropped.
          current = this.next();
          if (current === EOF) break;
          words.addRawChar(current);
        } else {
          words.addChar(current);
        }
        result += current;
      }
      if (stop !== EOF) throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
      return { text: result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.options.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.options.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.options.rawQuotes) result += open;
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        const close = this.next();
        if (this.options.rawQuotes) result += close;
        return result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.options.escapeToken) {
        if (this.rawEscapes) result += ch;
        const following = this.peek();
        // Inside double quotes only ", $ and the escape character itself can be escaped.
        if (following === EOF) continue;
        if (following === '"' || following === '$' || following === this.options.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParameter(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const [value, found] = this.getEnv(name);
      if (!found && this.options.skipUnsetEnv) return `$${name}`;
      return value;
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    // BuildKit reports a cryptic "unsupported modifier (\uFFFD)" here; the real problem is the brace.
    if (ch === EOF) throw new ExpansionError("syntax error: missing '}'");
    let modifier = ch;
    let nullIsUnset = false;
    if (ch === '}') {
      const [value, set] = this.getEnv(name);
      if (!set && this.options.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch;
    }
    if (ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%') {
      const raw = ch === '#' || ch === '%';
      if (nullIsUnset && raw) throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
      let word: string;
      try {
        word = this.processStopOn('}', raw).text;
      } catch (error) {
        if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
        throw error;
      }
      const [value, set] = this.getEnv(name);
      if (this.options.skipUnsetEnv && !set) return `\${${name}${modifier}${word}}`;
      switch (ch) {
        case '-':
          return !set || (nullIsUnset && value === '') ? word : value;
        case '+':
          return !set || (nullIsUnset && value === '') ? '' : word;
        case '?':
          if (!set) throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
          if (nullIsUnset && value === '') throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
          return value;
        default: {
          // %/# remove the shortest match, %%/## the longest.
          let pattern = word;
          let greedy = false;
          if (pattern.length > 0 && pattern[0] === ch) {
            greedy = true;
            pattern = pattern.slice(1);
          }
          return ch === '%' ? trimSuffix(pattern, value, greedy) : trimPrefix(pattern, value, greedy);
        }
      }
    }
    if (ch === '/' && !nullIsUnset) {
      const replaceAll = this.peek() === '/';
      if (replaceAll) this.next();
      let pattern: string;
      try {
        pattern = this.processStopOn('/', true).text;
      } catch (error) {
        if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '/' in ${}");
        throw error;
      }
      let replacement: string;
      try {
        replacement = this.processStopOn('}', true).text;
      } catch (error) {
        if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
        throw error;
      }
      const [value, set] = this.getEnv(name);
      if (this.options.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
      // The replacement is literal (a function keeps `$&` and friends from meaning anything).
      return value.replace(patternToRegex(pattern, true, false, replaceAll), () => replacement);
    }
    throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') space += this.next();
    return `<<${space}`;
  }
}

/**
 * A shell pattern (`*`, `?`, `\` escapes; no bracket expressions, as in BuildKit) as a regex.
 * `greedy` makes `*` match the longest string; `anchored` matches at the start only.
 */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = [...pattern];
  let out = anchored ? '^' : '';
  const star = greedy ? '.*' : '.*?';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      out += star;
      continue;
    }
    if (ch === '?') {
      out += '.';
      continue;
    }
    if (ch === '\\') {
      const following = chars[i + 1];
      // `}` and `/` are escaped only to get them past ${...}; the escape is not part of the pattern.
      if (following === '}' || following === '/') continue;
      if (following !== '*' && following !== '?' && following !== '\\') {
        throw new ExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${following ?? ''}'`);
      }
      out += `\\${following}`;
      i++;
      continue;
    }
    out += /[[\]{}.+()|^$/]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = patternToRegex(pattern, greedy, true).exec(value);
  return match ? value.slice(match.index + match[0].length) : value;
}

/** Reverses a pattern keeping each escape before the character it escapes (`a\*c` → `c\*a`). */
function reversePattern(pattern: string): string {
  const chars = [...pattern];
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const ch = chars[i];
    const at = last - i;
    if (ch === '\\' && i !== last) {
      out[at - 1] = ch;
      out[at] = chars[i + 1];
      i += 2;
    } else {
      out[at] = ch;
      i++;
    }
  }
  return out.join('');
}

function reverseString(text: string): string {
  return [...text].reverse().join('');
}

/** The shortest (or longest) rightmost match, found as a leftmost match on the reversed strings. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

function withDefaults(options: LexOptions): Required<LexOptions> {
  return {
    escapeToken: options.escapeToken ?? '\\',
    rawQuotes: options.rawQuotes ?? false,
    rawEscapes: options.rawEscapes ?? false,
    skipUnsetEnv: options.skipUnsetEnv ?? false,
    skipProcessQuotes: options.skipProcessQuotes ?? false,
  };
}

function run(word: string, env: ReadonlyMap<string, string>, options: LexOptions): { text: string; words: string[]; shell: ShellWord } {
  const resolved = withDefaults(options);
  const shell = new ShellWord(word, env, resolved);
  try {
    const { text, words } = shell.processStopOn(EOF, resolved.rawEscapes);
    return { text, words, shell };
  } catch (error) {
    if (error instanceof ExpansionError) throw new ExpansionError(`failed to process ${JSON.stringify(word)}: ${error.message}`);
    throw error;
  }
}

/** BuildKit's ProcessWordWithMatches: one string out, plus which variables were (not) set. */
export function expandWord(word: string, env: ReadonlyMap<string, string>, options: LexOptions = {}): ExpansionResult {
  const { text, shell } = run(word, env, options);
  return { value: text, matched: shell.matched, unmatched: shell.unmatched };
}

/** BuildKit's ProcessWords: expanded, then split on unquoted whitespace. */
export function expandWords(word: string, env: ReadonlyMap<string, string>, options: LexOptions = {}): string[] {
  return run(word, env, options).words;
}
