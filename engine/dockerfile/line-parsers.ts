// The per-instruction argument parsers of BuildKit's parser (line_parsers.go, split_command.go):
// how the text after an instruction becomes its argument chain — JSON or shell form, words,
// key/value pairs — and how leading `--flags` are taken off first.
import { isGoSpace } from '../expand/lex.js';

/** One link of BuildKit's node.Next chain: a value, or (ONBUILD) a whole sub-instruction. */
export type ChainItem = { value: string } | { child: ParsedCommand };

export interface ParsedCommand {
  /** The instruction name as written. */
  keyword: string;
  flags: Array<{ text: string; offset: number }>;
  chain: ChainItem[];
  json: boolean;
  /** Offset (in the logical line given to parseCommand) of the arguments, after the flags. */
  argsOffset: number;
}

/** A parse error at an offset of the logical line (when known). */
export class LineParseError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

const whitespaceRun = /[\t\v\f\r ]+/u;


/** Go's strings.TrimSpace. */
function goTrim(text: string): string {
  let start = 0;
  let end = text.length;
  const chars = [...text];
  while (start < chars.length && isGoSpace(chars[start])) start++;
  let last = chars.length;
  while (last > start && isGoSpace(chars[last - 1])) last--;
  end = last;
  return chars.slice(start, end).join('');
}

function values(list: readonly string[]): ChainItem[] {
  return list.map((value) => ({ value }));
}

/**
 * BuildKit's extractBuilderFlags. It walks bytes (not characters), so it is done here on a latin1
 * view of the UTF-8 bytes, which keeps its byte-for-byte behaviour.
 */
function extractFlags(line: string, escapeToken: string): { rest: string; restOffset: number; flags: Array<{ text: string; offset: number }> } {
  const bytes = Buffer.from(line, 'utf8');
  const view = bytes.toString('latin1');
  const isSpaceByte = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r' || ch === '\u0085' || ch === '\u00a0';
  const charOffset = (byteOffset: number) => bytes.subarray(0, byteOffset).toString('utf8').length;
  const restAt = (pos: number) => ({ rest: bytes.subarray(pos).toString('utf8'), restOffset: charOffset(pos) });
  const flags: Array<{ text: string; offset: number }> = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOk = false;
  // BuildKit writes each byte of a flag as a rune of its own: non-ASCII flag text comes out as
  // Latin-1 characters (`é` becomes `Ã©`). Kept so `debug ast` matches it.
  const latin1ToText = (text: string) => text;
  for (let pos = 0; pos <= view.length; pos++) {
    const ch = pos < view.length ? view[pos] : '';
    if (phase === 'spaces') {
      if (pos === view.length) break;
      if (isSpaceByte(ch)) continue;
      if (ch !== '-' || pos + 1 === view.length || view[pos + 1] !== '-') return { ...restAt(pos), flags };
      phase = 'word';
      wordStart = pos;
    }
    if (pos === view.length) {
      if (word !== '--' && (blankOk || word.length > 0)) flags.push({ text: latin1ToText(word), offset: charOffset(wordStart) });
      break;
    }
    if (phase === 'word') {
      if (isSpaceByte(ch)) {
        phase = 'spaces';
        if (word === '--') return { ...restAt(pos), flags };
        if (blankOk || word.length > 0) flags.push({ text: latin1ToText(word), offset: charOffset(wordStart) });
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
        continue;
      }
      let next = ch;
      if (ch === escapeToken) {
        if (pos + 1 === view.length) continue;
        pos++;
        next = view[pos];
      }
      word += next;
      continue;
    }
    // In quotes.
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let next = ch;
    if (ch === escapeToken) {
      if (pos + 1 === view.length) {
        phase = 'word';
        continue;
      }
      pos++;
      next = view[pos];
    }
    word += next;
  }
  return { rest: '', restOffset: line.length, flags };
}

/** BuildKit's splitCommand: keyword, flags and the rest (trimmed) of a logical line. */
export function splitCommand(line: string, escapeToken: string): { keyword: string; flags: ParsedCommand['flags']; args: string; argsOffset: number } {
  const leading = line.length - line.replace(/^[\s\u0085\u00a0]+/u, '').length;
  const trimmed = goTrim(line);
  const separator = whitespaceRun.exec(trimmed);
  if (!separator) return { keyword: trimmed, flags: [], args: '', argsOffset: line.length };
  const keyword = trimmed.slice(0, separator.index);
  const restStart = leading + separator.index + separator[0].length;
  const { rest, restOffset, flags } = extractFlags(trimmed.slice(separator.index + separator[0].length), escapeToken);
  const args = goTrim(rest);
  const argsLead = rest.length - rest.replace(/^[\s\u0085\u00a0]+/u, '').length;
  return {
    keyword,
    flags: flags.map((flag) => ({ text: flag.text, offset: restStart + flag.offset })),
    args,
    argsOffset: restStart + restOffset + argsLead,
  };
}

/** BuildKit's parseWords: whitespace-separated words, quotes and escapes kept in them. */
export function parseWords(rest: string, escapeToken: string): string[] {
  const chars = [...rest];
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOk = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos] : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOk || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOk || word.length > 0) words.push(word);
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos];
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos];
    }
    word += ch;
  }
  return words;
}

function parseNameValue(rest: string, key: string, escapeToken: string): ChainItem[] {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return [];
  if (!words[0].includes('=')) {
    const parts = rest.split(whitespaceRun);
    if (parts.length < 2) throw new LineParseError(`${key} must have two arguments`);
    const separator = whitespaceRun.exec(rest);
    const value = separator ? rest.slice(separator.index + separator[0].length) : '';
    return values([parts[0], value, '']);
  }
  const chain: string[] = [];
  for (const word of words) {
    const equals = word.indexOf('=');
    if (equals < 0) throw new LineParseError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    chain.push(word.slice(0, equals), word.slice(equals + 1), '=');
  }
  return values(chain);
}

function parseStringsWhitespaceDelimited(rest: string): ChainItem[] {
  if (rest === '') return [];
  return values(rest.split(whitespaceRun));
}

const notStringArray = 'when using JSON array syntax, arrays must be comprised of strings only';

/** `[...]` as a list of strings; undefined when not a JSON array (the caller falls back). */
function parseJson(rest: string): string[] | undefined {
  const trimmed = rest.replace(/^[\s\u0085\u00a0]+/u, '');
  if (!trimmed.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item) => typeof item === 'string')) throw new LineParseError(notStringArray);
  return parsed as string[];
}

function parseMaybeJson(rest: string): { chain: ChainItem[]; json: boolean } {
  if (rest === '') return { chain: [], json: false };
  const json = parseJson(rest);
  if (json !== undefined) return { chain: values(json), json: true };
  return { chain: values([rest]), json: false };
}

function parseMaybeJsonToList(rest: string): { chain: ChainItem[]; json: boolean } {
  const json = parseJson(rest);
  if (json !== undefined) return { chain: values(json), json: true };
  return { chain: parseStringsWhitespaceDelimited(rest), json: false };
}

function parseHealthConfig(rest: string): { chain: ChainItem[]; json: boolean } {
  const bytes = Buffer.from(rest, 'utf8').toString('latin1');
  const isSpaceByte = (ch: string) => /^[\t\n\v\f\r \u0085\u00a0]$/u.test(ch);
  let separator = 0;
  while (separator < bytes.length && !isSpaceByte(bytes[separator])) separator++;
  let next = separator;
  while (next < bytes.length && isSpaceByte(bytes[next])) next++;
  if (separator === 0) return { chain: [], json: false };
  const type = Buffer.from(bytes.slice(0, separator), 'latin1').toString('utf8');
  const command = parseMaybeJson(Buffer.from(bytes.slice(next), 'latin1').toString('utf8'));
  return { chain: [{ value: type }, ...command.chain], json: command.json };
}

/** BuildKit's newNodeFromLine: a logical line → keyword, flags and argument chain. */
export function parseCommand(line: string, escapeToken: string): ParsedCommand {
  const { keyword, flags, args, argsOffset } = splitCommand(line, escapeToken);
  const parsed = (result: { chain: ChainItem[]; json: boolean }): ParsedCommand => ({ keyword, flags, argsOffset, ...result });
  try {
    switch (keyword.toLowerCase()) {
      case 'add':
      case 'copy':
      case 'volume':
        return parsed(parseMaybeJsonToList(args));
      case 'arg':
        return parsed({ chain: values(parseWords(args, escapeToken)), json: false });
      case 'cmd':
      case 'entrypoint':
      case 'run':
      case 'shell':
        return parsed(parseMaybeJson(args));
      case 'env':
        return parsed({ chain: parseNameValue(args, 'ENV', escapeToken), json: false });
      case 'label':
        return parsed({ chain: parseNameValue(args, 'LABEL', escapeToken), json: false });
      case 'expose':
      case 'from':
        return parsed({ chain: parseStringsWhitespaceDelimited(args), json: false });
      case 'healthcheck':
        return parsed(parseHealthConfig(args));
      case 'maintainer':
      case 'stopsignal':
      case 'user':
      case 'workdir':
        return parsed({ chain: args === '' ? [] : values([args]), json: false });
      case 'onbuild': {
        if (args === '') return parsed({ chain: [], json: false });
        const child = parseCommand(args, escapeToken);
        const shift = (offset: number) => offset + argsOffset;
        return parsed({
          chain: [{ child: { ...child, argsOffset: shift(child.argsOffset), flags: child.flags.map((f) => ({ ...f, offset: shift(f.offset) })) } }],
          json: false,
        });
      }
      default:
        // Unknown instructions parse (BuildKit's parseIgnore); the instruction layer rejects them.
        return parsed({ chain: [{ value: '' }], json: false });
    }
  } catch (error) {
    if (error instanceof LineParseError) throw new LineParseError(error.message, error.offset ?? argsOffset);
    throw error;
  }
}
