// Variable expansion with the semantics of BuildKit's shell lexer (frontend/dockerfile/shell/lex.go):
// $V and ${V...} operators, quotes, the escape character, and word splitting (ProcessWords).
import { goQuote } from '../go/quote.js';
import { EOF, isDigit, isGoSpace, isLetter, scannerCharacters, shown } from './characters.js';
import { ExpansionError, ExpansionLimitError } from './errors.js';
import { replaceAllLikeGo, shellPatternToRegex, trimPrefix, trimSuffix } from './shell-pattern.js';

export type EscapeToken = '\\' | '`';

export interface LexOptions {
  escapeToken?: EscapeToken;
  /** Keep the quote characters in the result. */
  rawQuotes?: boolean;
  /** Keep the escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (re-rendered) instead of expanding them. */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
}

export interface ExpansionResult {
  value: string;
  /** Variables looked up that were set. */
  matched: Set<string>;
  /** Variables looked up that were not set. */
  unmatched: Set<string>;
}

/** POSIX special parameters: `$@ $* $# $? $- $$ $! $0` are names of one character. */
const isSpecialParameter = (ch: string): boolean => ch.length === 1 && '@*#?-$!0'.includes(ch);

/** Where the partial word lives; BuildKit shares one between a word and the words nested in it. */
interface WordBuffer {
  text: string;
}

/** Collects words: expanded text splits on whitespace, quoted and escaped text never does. */
class WordSplitter {
  readonly words: string[] = [];
  private inWord = false;

  constructor(private readonly buffer: WordBuffer) {}

  addChar(ch: string): void {
    if (!isGoSpace(ch)) {
      this.addRawChar(ch);
    } else if (this.inWord && this.buffer.text.length > 0) {
      this.words.push(this.buffer.text);
      this.buffer.text = '';
      this.inWord = false;
    }
  }

  addRawChar(ch: string): void {
    this.buffer.text += ch;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRawString(text: string): void {
    this.buffer.text += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buffer.text.length > 0) {
      this.words.push(this.buffer.text);
      this.buffer.text = '';
      this.inWord = false;
    }
    return this.words;
  }
}

interface ProcessedText {
  text: string;
  words: string[];
}

/** One pass over one word: a cursor, the escape mode in force, and the variables looked up. */
class WordExpander {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly chars: string[];
  private position = 0;
  private rawEscapes: boolean;
  private readonly sharedBuffer: WordBuffer = { text: '' };

  constructor(
    word: string,
    private readonly env: ReadonlyMap<string, string>,
    private readonly options: Required<LexOptions>,
  ) {
    this.chars = scannerCharacters(word);
    this.rawEscapes = options.rawEscapes;
  }

  expand(): ProcessedText {
    return this.processUntil(EOF, this.options.rawEscapes);
  }

  private peek(): string {
    return this.chars[this.position] ?? EOF;
  }

  private next(): string {
    const ch = this.peek();
    if (ch !== EOF) this.position++;
    return ch;
  }

  private lookup(name: string): { value: string; set: boolean } {
    const value = this.env.get(name);
    if (value === undefined) {
      this.unmatched.add(name);
      return { value: '', set: false };
    }
    this.matched.add(name);
    return { value, set: true };
  }

  /** Reads up to `stop` (consumed) or, when `stop` is EOF, to the end. */
  private processUntil(stop: string, rawEscapes: boolean): ProcessedText {
    let result = '';
    // BuildKit resets its one shared word buffer on every call, nested ${...} words included, so
    // the split words lose what came before a nested operator word (the joined text keeps it).
    this.sharedBuffer.text = '';
    const words = new WordSplitter(this.sharedBuffer);
    const outerRawEscapes = this.rawEscapes;
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
          current = this.next();
          // A trailing escape character escapes nothing and is dropped.
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
      this.rawEscapes = outerRawEscapes;
    }
  }

  /** Everything up to the next `'` is literal; a single quote cannot be escaped inside. */
  private processSingleQuote(): string {
    const open = this.next();
    let result = this.options.rawQuotes ? open : '';
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return this.options.rawQuotes ? result + ch : result;
      result += ch;
    }
  }

  /** Expands `$`; the escape character escapes only `"`, `$` and itself and is kept before anything else. */
  private processDoubleQuote(): string {
    const open = this.next();
    let result = this.options.rawQuotes ? open : '';
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF)
        throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        const close = this.next();
        return this.options.rawQuotes ? result + close : result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.options.escapeToken) {
        // With raw escapes an escape before an ordinary character ends up doubled, as in BuildKit.
        if (this.rawEscapes) result += ch;
        const following = this.peek();
        if (following === EOF) continue;
        if (following === '"' || following === '$' || following === this.options.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  /** A name: letters, digits and `_`; a run of digits; or one special-parameter character. */
  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && isDigit(ch)) {
        while (isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && isSpecialParameter(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') return this.expandBareName();
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.processName();
    const ch = this.next();
    if (ch === '}') {
      const { value, set } = this.lookup(name);
      return !set && this.options.skipUnsetEnv ? `\${${name}}` : value;
    }
    if (ch === ':') {
      const operator = this.next();
      return this.expandOperator(name, operator, `:${shown(operator)}`, true);
    }
    if (ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%')
      return this.expandOperator(name, ch, ch, false);
    if (ch === '/') return this.expandReplacement(name);
    throw new ExpansionError(`unsupported modifier (${shown(ch)}) in substitution`);
  }

  private expandBareName(): string {
    const name = this.processName();
    if (name === '') return '$';
    const { value, set } = this.lookup(name);
    return !set && this.options.skipUnsetEnv ? `$${name}` : value;
  }

  /**
   * `${name<modifier>word}` for - + ? # % (with `:` before them, nullIsUnset). After `:` BuildKit
   * reads the word before it rejects an unknown operator, so brace errors and skipUnsetEnv win.
   */
  private expandOperator(name: string, operator: string, modifier: string, nullIsUnset: boolean): string {
    const isTrim = operator === '#' || operator === '%';
    if (nullIsUnset && isTrim) throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    const word = this.readOperand('}', isTrim, "syntax error: missing '}'");
    const { value, set } = this.lookup(name);
    if (this.options.skipUnsetEnv && !set) return `\${${name}${modifier}${word}}`;
    const isNull = !set || (nullIsUnset && value === '');
    switch (operator) {
      case '-':
        return isNull ? word : value;
      case '+':
        return isNull ? '' : word;
      case '?':
        if (!set) throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (isNull) throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        // A doubled operator (## %%) removes the longest match instead of the shortest.
        const longest = word.startsWith(operator);
        const pattern = longest ? word.slice(1) : word;
        return operator === '%' ? trimSuffix(pattern, value, longest) : trimPrefix(pattern, value, longest);
      }
      default:
        throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` (first match) and `${name//pattern/replacement}` (all matches). */
  private expandReplacement(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) this.next();
    const pattern = this.readOperand('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.readOperand('}', true, "syntax error: missing '}'");
    const { value, set } = this.lookup(name);
    // BuildKit re-renders `//` as `/` here.
    if (this.options.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    const regex = shellPatternToRegex(pattern, true, false);
    if (replaceAll) return replaceAllLikeGo(regex, value, replacement);
    const match = regex.exec(value);
    if (match === null) return value;
    return value.slice(0, match.index) + replacement + value.slice(match.index + match[0].length);
  }

  /** An operator's word; any failure that ran into the end of input is reported as the missing delimiter. */
  private readOperand(stop: string, rawEscapes: boolean, missingMessage: string): string {
    try {
      return this.processUntil(stop, rawEscapes).text;
    } catch (error) {
      if (error instanceof ExpansionError && this.peek() === EOF) throw new ExpansionError(missingMessage);
      throw error;
    }
  }

  /** `<<` keeps the blanks after it, so a heredoc marker stays one word. */
  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let blanks = '';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r') blanks += this.next();
    return `<<${blanks}`;
  }
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

/**
 * Characters an expanded word may have: eight times what Linux lets one environment string be
 * (128 KiB), and small enough that values doubling at every ENV are refused long before memory runs out.
 */
export const maxExpandedLength = 1024 * 1024;

function runExpansion(
  word: string,
  env: ReadonlyMap<string, string>,
  options: LexOptions,
): { expander: WordExpander; processed: ProcessedText } {
  const expander = new WordExpander(word, env, withDefaults(options));
  let processed: ProcessedText;
  try {
    processed = expander.expand();
  } catch (error) {
    if (error instanceof ExpansionError)
      throw new (error instanceof ExpansionLimitError ? ExpansionLimitError : ExpansionError)(
        `failed to process ${goQuote(word)}: ${error.message}`,
      );
    // The lexer recurses into `${...}`; a string past V8's limit is a RangeError too.
    if (error instanceof RangeError)
      throw new ExpansionLimitError(
        `failed to process ${goQuote(word)}: its \${...} expressions are nested too deeply or its value is too long`,
      );
    throw error;
  }
  if (processed.text.length > maxExpandedLength) {
    throw new ExpansionLimitError(
      `failed to process ${goQuote(word)}: the expanded value would be ${processed.text.length} characters, more than ${maxExpandedLength}`,
    );
  }
  return { expander, processed };
}

/** BuildKit's ProcessWordWithMatches: the expanded word, and which variables were (not) set. Throws ExpansionError. */
export function expandWord(word: string, env: ReadonlyMap<string, string>, options: LexOptions = {}): ExpansionResult {
  const { expander, processed } = runExpansion(word, env, options);
  return { value: processed.text, matched: expander.matched, unmatched: expander.unmatched };
}

/** BuildKit's ProcessWords: expanded, then split on unquoted, unescaped whitespace. Throws ExpansionError. */
export function expandWords(word: string, env: ReadonlyMap<string, string>, options: LexOptions = {}): string[] {
  return runExpansion(word, env, options).processed.words;
}
