// How one logical Dockerfile line becomes BuildKit's node: the keyword, the `--flags`, and the
// argument chain each instruction's line parser builds (line_parsers.go, split_command.go).
import { PositionedError } from '../errors.js';
import { goQuote } from '../go/quote.js';
import { goString, goToLower, goTrimSpace, isGoSpaceCode, utf8Text } from '../go/strings.js';
import { parseJsonForm } from './json-form.js';

export type EscapeToken = '\\' | '`';

/** One logical line as BuildKit's newNodeFromLine leaves it. Offsets are UTF-16 offsets into the logical line. */
export interface CommandLine {
  /** The instruction name as written. */
  keyword: string;
  keywordOffset: number;
  /** Flag texts as BuildKit keeps them (quotes and escape characters processed, bytes as Latin-1 runes). */
  flags: FlagText[];
  /** BuildKit's nodeArgs: the node.Next values; for ONBUILD the trigger's keyword and then its arguments. */
  args: string[];
  /** ONBUILD's trigger, parsed as a line of its own. */
  child?: CommandLine;
  /** BuildKit's attributes["json"]: the arguments came from a JSON array. */
  json: boolean;
  /** Where the arguments start, after the keyword and the flags. */
  argsOffset: number;
  /** The text this node was parsed from (BuildKit's node.Original). */
  original: string;
}

export interface FlagText {
  text: string;
  offset: number;
}

/** A line that no instruction parser accepts; `offset` is where in the logical line the problem is. */
/** At an offset into the logical line (the parser maps it to a position). */
export class LineParseError extends PositionedError<number> {
  override readonly name = 'LineParseError';
  override readonly code = 'MSBUILD_LINE_PARSE';
}

/** What Go's rune loops (utf8.DecodeRuneInString) see: a stray byte is U+FFFD. */
function asRunes(text: string): string {
  return /[\udc80-\udcff]/u.test(text) ? text.replace(/[\udc80-\udcff]/gu, '\ufffd') : text;
}

/** BuildKit's reWhitespace: `[\t\v\f\r ]+` (no newline, no Unicode spaces). */
const whitespaceRun = /[\t\v\f\r ]+/;

/** unicode.IsSpace(rune(b)) for one byte: BuildKit's byte loops treat 0x85 and 0xA0 as spaces too. */
function isSpaceByte(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0x85 || byte === 0xa0;
}

/**
 * BuildKit's extractBuilderFlags: leading `--words` of `rest`. It walks bytes and writes each byte
 * as a rune, so non-ASCII flag text comes out as Latin-1 characters (`é` becomes `Ã©`), as in BuildKit.
 */
function extractBuilderFlags(
  rest: string,
  escapeToken: EscapeToken,
): { remaining: string; remainingOffset: number; flags: FlagText[] } {
  const { bytes, utf16At } = utf8Text(rest);
  const escape = escapeToken.charCodeAt(0);
  const flags: FlagText[] = [];
  const remainingAt = (byteOffset: number) => ({
    remaining: goString(bytes, byteOffset, bytes.length),
    remainingOffset: utf16At(byteOffset),
    flags,
  });
  const inSpaces = 0;
  const inWord = 1;
  const inQuote = 2;
  let phase = inSpaces;
  let word = '';
  let wordStart = 0;
  let quote = 0;
  let blankOk = false;
  for (let pos = 0; pos <= bytes.length; pos++) {
    const atEnd = pos === bytes.length;
    let byte = atEnd ? -1 : bytes[pos];
    if (phase === inSpaces) {
      if (atEnd) break;
      if (isSpaceByte(byte)) continue;
      if (byte !== 0x2d || pos + 1 === bytes.length || bytes[pos + 1] !== 0x2d) return remainingAt(pos);
      phase = inWord;
      wordStart = pos;
    }
    if (atEnd) {
      if (word !== '--' && (blankOk || word.length > 0)) flags.push({ text: word, offset: utf16At(wordStart) });
      break;
    }
    if (phase === inWord) {
      if (isSpaceByte(byte)) {
        phase = inSpaces;
        if (word === '--') return remainingAt(pos);
        if (blankOk || word.length > 0) flags.push({ text: word, offset: utf16At(wordStart) });
        word = '';
        blankOk = false;
        continue;
      }
      if (byte === 0x27 || byte === 0x22) {
        quote = byte;
        blankOk = true;
        phase = inQuote;
        continue;
      }
      if (byte === escape) {
        if (pos + 1 === bytes.length) continue;
        pos++;
        byte = bytes[pos];
      }
      word += String.fromCharCode(byte);
      continue;
    }
    if (byte === quote) {
      phase = inWord;
      continue;
    }
    if (byte === escape) {
      if (pos + 1 === bytes.length) {
        phase = inWord;
        continue;
      }
      pos++;
      byte = bytes[pos];
    }
    word += String.fromCharCode(byte);
  }
  return { remaining: '', remainingOffset: rest.length, flags };
}

/** BuildKit's splitCommand: keyword, flags, and the trimmed arguments of a line. */
export function splitCommand(
  line: string,
  escapeToken: EscapeToken,
): { keyword: string; keywordOffset: number; flags: FlagText[]; args: string; argsOffset: number } {
  const { text: trimmed, lead } = goTrimSpace(line);
  const separator = whitespaceRun.exec(trimmed);
  if (!separator)
    return { keyword: trimmed, keywordOffset: lead, flags: [], args: '', argsOffset: lead + trimmed.length };
  const restOffset = lead + separator.index + separator[0].length;
  const { remaining, remainingOffset, flags } = extractBuilderFlags(
    trimmed.slice(separator.index + separator[0].length),
    escapeToken,
  );
  const args = goTrimSpace(remaining);
  return {
    keyword: trimmed.slice(0, separator.index),
    keywordOffset: lead,
    flags: flags.map((flag) => ({ text: flag.text, offset: restOffset + flag.offset })),
    args: args.text,
    argsOffset: restOffset + remainingOffset + args.lead,
  };
}

/**
 * BuildKit's parseWords: words split on Go spaces, quotes and escape characters kept in them
 * (they are removed later, at expansion). Also gives where each word starts.
 */
export function parseWords(text: string, escapeToken: EscapeToken): { words: string[]; offsets: number[] } {
  const rest = asRunes(text);
  const words: string[] = [];
  const offsets: number[] = [];
  const inSpaces = 0;
  const inWord = 1;
  const inQuote = 2;
  let phase = inSpaces;
  let quote = '';
  let blankOk = false;
  let word = '';
  let wordStart = 0;
  const charAt = (pos: number): string => {
    const code = rest.codePointAt(pos) ?? 0;
    return code > 0xffff ? rest.slice(pos, pos + 2) : rest[pos];
  };
  let ch = '';
  for (let pos = 0; pos <= rest.length; pos += ch.length) {
    const atEnd = pos === rest.length;
    ch = atEnd ? '' : charAt(pos);
    if (phase === inSpaces) {
      if (atEnd) break;
      if (isGoSpaceCode(ch.charCodeAt(0))) continue;
      phase = inWord;
      wordStart = pos;
    }
    if (atEnd) {
      if (blankOk || word.length > 0) {
        words.push(word);
        offsets.push(wordStart);
      }
      break;
    }
    if (phase === inWord) {
      if (isGoSpaceCode(ch.charCodeAt(0))) {
        phase = inSpaces;
        if (blankOk || word.length > 0) {
          words.push(word);
          offsets.push(wordStart);
        }
        word = '';
        blankOk = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOk = true;
        phase = inQuote;
      }
      if (ch === escapeToken) {
        if (pos + ch.length === rest.length) continue;
        // Outside quotes the escape character and what it escapes are both kept, even a quote.
        word += ch;
        pos += ch.length;
        ch = charAt(pos);
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = inWord;
    // Inside single quotes the escape character escapes nothing.
    if (ch === escapeToken && quote !== "'") {
      if (pos + ch.length === rest.length) {
        phase = inWord;
        continue;
      }
      pos += ch.length;
      word += ch;
      ch = charAt(pos);
    }
    word += ch;
  }
  return { words, offsets };
}

/** ENV and LABEL: `KEY value` (old form: key, rest, "") or `k=v ...` (key, value, "=" for each). */
function parseNameVal(rest: string, restOffset: number, instruction: string, escapeToken: EscapeToken): string[] {
  const { words, offsets } = parseWords(rest, escapeToken);
  if (words.length === 0) return [];
  if (!words[0].includes('=')) {
    const separator = whitespaceRun.exec(rest);
    if (!separator) throw new LineParseError(`${instruction} must have two arguments`, restOffset);
    return [rest.slice(0, separator.index), rest.slice(separator.index + separator[0].length), ''];
  }
  const chain: string[] = [];
  words.forEach((word, index) => {
    const equals = word.indexOf('=');
    if (equals < 0) {
      throw new LineParseError(
        `Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`,
        restOffset + offsets[index],
      );
    }
    chain.push(word.slice(0, equals), word.slice(equals + 1), '=');
  });
  return chain;
}

function parseStringsWhitespaceDelimited(rest: string): string[] {
  return rest === '' ? [] : rest.split(whitespaceRun);
}

const notStringArrayMessage = 'when using JSON array syntax, arrays must be comprised of strings only';

/** RUN, CMD, ENTRYPOINT, SHELL: JSON array, else the whole text as one argument. */
function parseMaybeJson(rest: string, restOffset: number): { args: string[]; json: boolean } {
  if (rest === '') return { args: [], json: false };
  const form = parseJsonForm(rest);
  if (form.kind === 'strings') return { args: form.values, json: true };
  if (form.kind === 'not-strings') throw new LineParseError(notStringArrayMessage, restOffset + form.offset);
  return { args: [rest], json: false };
}

/** ADD, COPY, VOLUME: JSON array, else whitespace-separated words. */
function parseMaybeJsonToList(rest: string, restOffset: number): { args: string[]; json: boolean } {
  const form = parseJsonForm(rest);
  if (form.kind === 'strings') return { args: form.values, json: true };
  if (form.kind === 'not-strings') throw new LineParseError(notStringArrayMessage, restOffset + form.offset);
  return { args: parseStringsWhitespaceDelimited(rest), json: false };
}

/** HEALTHCHECK: a type word (`CMD`, `NONE`, ...) then parseMaybeJson of the rest. BuildKit splits on bytes. */
function parseHealthConfig(rest: string, restOffset: number): { args: string[]; json: boolean } {
  const { bytes, utf16At } = utf8Text(rest);
  let separator = 0;
  while (separator < bytes.length && !isSpaceByte(bytes[separator])) separator++;
  let next = separator;
  while (next < bytes.length && isSpaceByte(bytes[next])) next++;
  if (separator === 0) return { args: [], json: false };
  const command = parseMaybeJson(goString(bytes, next, bytes.length), restOffset + utf16At(next));
  return { args: [goString(bytes, 0, separator), ...command.args], json: command.json };
}

type LineParser = (
  rest: string,
  restOffset: number,
  escapeToken: EscapeToken,
) => { args: string[]; json: boolean; child?: CommandLine };

const shellOrJson: LineParser = (rest, offset) => parseMaybeJson(rest, offset);
const listOrJson: LineParser = (rest, offset) => parseMaybeJsonToList(rest, offset);
const whitespaceDelimited: LineParser = (rest) => ({ args: parseStringsWhitespaceDelimited(rest), json: false });
const wholeString: LineParser = (rest) => ({ args: rest === '' ? [] : [rest], json: false });

/** BuildKit's dispatch table; anything else is parseIgnore (one empty argument). */
const lineParsers: ReadonlyMap<string, LineParser> = new Map<string, LineParser>([
  ['add', listOrJson],
  ['arg', (rest, _offset, escapeToken) => ({ args: parseWords(rest, escapeToken).words, json: false })],
  ['cmd', shellOrJson],
  ['copy', listOrJson],
  ['entrypoint', shellOrJson],
  ['env', (rest, offset, escapeToken) => ({ args: parseNameVal(rest, offset, 'ENV', escapeToken), json: false })],
  ['expose', whitespaceDelimited],
  ['from', whitespaceDelimited],
  ['healthcheck', (rest, offset) => parseHealthConfig(rest, offset)],
  ['label', (rest, offset, escapeToken) => ({ args: parseNameVal(rest, offset, 'LABEL', escapeToken), json: false })],
  ['maintainer', wholeString],
  ['onbuild', parseSubCommand],
  ['run', shellOrJson],
  ['shell', shellOrJson],
  ['stopsignal', wholeString],
  ['user', wholeString],
  ['volume', listOrJson],
  ['workdir', wholeString],
]);

/**
 * ONBUILDs in a row BuildKit's parser nests without end (its instruction layer then refuses them); past
 * this many msbuild refuses them at once, before its recursive readers of the tree run out of stack.
 */
const maxOnbuildNesting = 64;
let onbuildNesting = 0;

/** ONBUILD: the rest is an instruction line of its own (any instruction: the next layer rejects ONBUILD/FROM/MAINTAINER). */
function parseSubCommand(
  rest: string,
  restOffset: number,
  escapeToken: EscapeToken,
): { args: string[]; json: boolean; child?: CommandLine } {
  if (rest === '') return { args: [], json: false };
  if (onbuildNesting >= maxOnbuildNesting)
    throw new LineParseError("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", restOffset);
  onbuildNesting++;
  try {
    const child = parseCommandLine(rest, escapeToken, restOffset);
    return { args: [child.keyword, ...child.args], json: false, child };
  } finally {
    onbuildNesting--;
  }
}

/**
 * BuildKit's newNodeFromLine for one logical line. `baseOffset` is where `line` sits in the logical
 * line, so every offset in the result (and in a LineParseError) is an offset into the logical line.
 */
export function parseCommandLine(line: string, escapeToken: EscapeToken, baseOffset = 0): CommandLine {
  const split = splitCommand(line, escapeToken);
  const argsOffset = baseOffset + split.argsOffset;
  const parser = lineParsers.get(goToLower(split.keyword));
  const parsed = parser ? parser(split.args, argsOffset, escapeToken) : { args: [''], json: false };
  return {
    keyword: split.keyword,
    keywordOffset: baseOffset + split.keywordOffset,
    flags: split.flags.map((flag) => ({ text: flag.text, offset: baseOffset + flag.offset })),
    args: parsed.args,
    ...(parsed.child ? { child: parsed.child } : {}),
    json: parsed.json,
    argsOffset,
    original: line,
  };
}
