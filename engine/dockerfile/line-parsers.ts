// How one logical Dockerfile line becomes BuildKit's node: the keyword, the `--flags`, and the
// argument chain each instruction's line parser builds (line_parsers.go, split_command.go).
import { goQuote, isStrayByte, newerThanGo } from './go-quote.js';

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
export class LineParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Go's unicode.IsSpace for one UTF-16 code unit (every Go space is in the BMP). */
export function isGoSpaceCode(code: number): boolean {
  if (code <= 0xff) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0;
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000;
}

/** How many code units of Go space `text` starts with (strings.TrimLeftFunc(text, unicode.IsSpace)). */
export function leadingGoSpace(text: string): number {
  let index = 0;
  while (index < text.length && isGoSpaceCode(text.charCodeAt(index))) index++;
  return index;
}

/** Go's strings.TrimSpace, with how much it took off the front. */
export function goTrimSpace(text: string): { text: string; lead: number } {
  const lead = leadingGoSpace(text);
  let end = text.length;
  while (end > lead && isGoSpaceCode(text.charCodeAt(end - 1))) end--;
  return { text: text.slice(lead, end), lead };
}

/**
 * Go's strings.ToLower: simple case mapping per code point (JS's full mapping turns `İ` into two
 * characters), none for characters newer than Go's Unicode, and a stray byte decodes as U+FFFD.
 */
export function goToLower(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (isStrayByte(code)) out += '\ufffd';
    else if (code === 0x130) out += 'i';
    else out += newerThanGo(code) ? char : char.toLowerCase();
  }
  return out;
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

/** A text's UTF-8 bytes, and the UTF-16 offset of the character each byte belongs to. */
interface Utf8Text {
  bytes: Buffer;
  utf16At(byteOffset: number): number;
}

function utf8Text(text: string): Utf8Text {
  // A stray byte (see isStrayByte) is that one byte again, as in the Go string it came from.
  const bytes = /[\udc80-\udcff]/u.test(text)
    ? Buffer.concat(text.split(/([\udc80-\udcff])/u).map((part, index) => (index % 2 === 1 ? Buffer.of(part.charCodeAt(0) - 0xdc00) : Buffer.from(part, 'utf8'))))
    : Buffer.from(text, 'utf8');
  if (bytes.length === text.length) return { bytes, utf16At: (byteOffset) => byteOffset };
  const offsets = new Int32Array(bytes.length + 1);
  let byteOffset = 0;
  for (let index = 0; index < text.length; ) {
    const code = text.codePointAt(index) ?? 0;
    const size = code < 0x80 || isStrayByte(code) ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    offsets.fill(index, byteOffset, byteOffset + size);
    byteOffset += size;
    index += code > 0xffff ? 2 : 1;
  }
  offsets[bytes.length] = text.length;
  return { bytes, utf16At: (byteOffset) => offsets[byteOffset] };
}

/**
 * Go's string(bytes[start:end]) where the cut may fall inside a character (BuildKit's byte loops
 * take 0x85 and 0xA0 for spaces, its scanner cuts a long line at 64 KiB): the bytes of a cut
 * character stay as stray bytes (see isStrayByte).
 */
export function goString(bytes: Buffer, start: number, end: number): string {
  let first = start;
  while (first < end && (bytes[first] & 0xc0) === 0x80) first++;
  let lead = end - 1;
  while (lead > first && lead > end - 4 && (bytes[lead] & 0xc0) === 0x80) lead--;
  const size = bytes[lead] >= 0xf0 ? 4 : bytes[lead] >= 0xe0 ? 3 : 2;
  const last = lead >= first && bytes[lead] >= 0xc0 && end - lead < size ? lead : end;
  const stray = (from: number, to: number) => String.fromCharCode(...Array.from(bytes.subarray(from, to), (byte) => 0xdc00 + byte));
  return stray(start, first) + bytes.toString('utf8', first, last) + stray(last, end);
}

/**
 * BuildKit's extractBuilderFlags: leading `--words` of `rest`. It walks bytes and writes each byte
 * as a rune, so non-ASCII flag text comes out as Latin-1 characters (`é` becomes `Ã©`), as in BuildKit.
 */
function extractBuilderFlags(rest: string, escapeToken: EscapeToken): { remaining: string; remainingOffset: number; flags: FlagText[] } {
  const { bytes, utf16At } = utf8Text(rest);
  const escape = escapeToken.charCodeAt(0);
  const flags: FlagText[] = [];
  const remainingAt = (byteOffset: number) => ({ remaining: goString(bytes, byteOffset, bytes.length), remainingOffset: utf16At(byteOffset), flags });
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
  if (!separator) return { keyword: trimmed, keywordOffset: lead, flags: [], args: '', argsOffset: lead + trimmed.length };
  const restOffset = lead + separator.index + separator[0].length;
  const { remaining, remainingOffset, flags } = extractBuilderFlags(trimmed.slice(separator.index + separator[0].length), escapeToken);
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
      throw new LineParseError(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`, restOffset + offsets[index]);
    }
    chain.push(word.slice(0, equals), word.slice(equals + 1), '=');
  });
  return chain;
}

function parseStringsWhitespaceDelimited(rest: string): string[] {
  return rest === '' ? [] : rest.split(whitespaceRun);
}

const notStringArrayMessage = 'when using JSON array syntax, arrays must be comprised of strings only';

type JsonForm =
  | { kind: 'strings'; values: string[] }
  /** A JSON array with something other than a string: BuildKit's errDockerfileNotStringArray. */
  | { kind: 'not-strings'; offset: number }
  /** Not JSON, or JSON Go refuses: the instruction falls back to its other form. */
  | { kind: 'not-json' };

/** BuildKit's parseJSON: a JSON array of strings, as Go's encoding/json decodes it into []any. */
function parseJsonForm(rest: string): JsonForm {
  const lead = leadingGoSpace(rest);
  if (rest.charCodeAt(lead) !== 0x5b) return { kind: 'not-json' };
  const elements = scanGoJsonArray(rest, lead);
  if (elements === undefined) return { kind: 'not-json' };
  const values: string[] = [];
  for (const element of elements) {
    if (element.text === undefined) return { kind: 'not-strings', offset: element.offset };
    values.push(element.text);
  }
  return { kind: 'strings', values };
}

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

type LineParser = (rest: string, restOffset: number, escapeToken: EscapeToken) => { args: string[]; json: boolean; child?: CommandLine };

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
function parseSubCommand(rest: string, restOffset: number, escapeToken: EscapeToken): { args: string[]; json: boolean; child?: CommandLine } {
  if (rest === '') return { args: [], json: false };
  if (onbuildNesting >= maxOnbuildNesting) throw new LineParseError("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", restOffset);
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

// --- JSON as Go's encoding/json reads it -------------------------------------------------------

/** Go's scanner refuses deeper nesting ("exceeded max depth"). */
const maxJsonDepth = 10000;

interface JsonArrayElement {
  /** The decoded string, or undefined when the element is not a string. */
  text?: string;
  /** Offset of the element in the scanned text. */
  offset: number;
}

const isJsonSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
const isDigitCode = (code: number) => code >= 0x30 && code <= 0x39;
const isHexCode = (code: number) => isDigitCode(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);

/** End of the JSON string starting at `start` (a `"`), after its closing quote; -1 when invalid. */
function scanJsonString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x22) return index + 1;
    if (code < 0x20) return -1;
    if (code === 0x5c) {
      const escaped = text.charCodeAt(index + 1);
      if (escaped === 0x75) {
        for (let hex = index + 2; hex < index + 6; hex++) if (!isHexCode(text.charCodeAt(hex))) return -1;
        index += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(text[index + 1] ?? 'x')) return -1;
      index += 2;
      continue;
    }
    index++;
  }
  return -1;
}

/** End of the JSON number starting at `start`; -1 when invalid. */
function scanJsonNumber(text: string, start: number): number {
  let index = start;
  if (text.charCodeAt(index) === 0x2d) index++;
  if (text.charCodeAt(index) === 0x30) index++;
  else if (isDigitCode(text.charCodeAt(index))) while (isDigitCode(text.charCodeAt(index))) index++;
  else return -1;
  if (text.charCodeAt(index) === 0x2e) {
    index++;
    if (!isDigitCode(text.charCodeAt(index))) return -1;
    while (isDigitCode(text.charCodeAt(index))) index++;
  }
  if (text.charCodeAt(index) === 0x65 || text.charCodeAt(index) === 0x45) {
    index++;
    if (text.charCodeAt(index) === 0x2b || text.charCodeAt(index) === 0x2d) index++;
    if (!isDigitCode(text.charCodeAt(index))) return -1;
    while (isDigitCode(text.charCodeAt(index))) index++;
  }
  return index;
}

/** The body of a valid JSON string literal, unquoted as Go does it (a lone surrogate escape becomes U+FFFD). */
function decodeJsonString(literal: string): string {
  if (!literal.includes('\\')) return literal.slice(1, -1);
  let out = '';
  let index = 1;
  const end = literal.length - 1;
  const hexAt = (at: number) => (literal[at] === '\\' && literal[at + 1] === 'u' ? Number.parseInt(literal.slice(at + 2, at + 6), 16) : -1);
  while (index < end) {
    const ch = literal[index];
    if (ch !== '\\') {
      out += ch;
      index++;
      continue;
    }
    const escaped = literal[index + 1];
    if (escaped !== 'u') {
      out += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[escaped] ?? escaped;
      index += 2;
      continue;
    }
    const unit = hexAt(index);
    index += 6;
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const low = hexAt(index);
      if (unit < 0xdc00 && low >= 0xdc00 && low <= 0xdfff) {
        out += String.fromCharCode(unit, low);
        index += 6;
      } else {
        out += '\ufffd';
      }
      continue;
    }
    out += String.fromCharCode(unit);
  }
  return out;
}

/**
 * Scans `text` from `start` (a `[`) as one JSON document, the way json.Unmarshal into []any does:
 * undefined when Go refuses it (a syntax error, trailing text, nesting deeper than Go allows, or a
 * number too large for float64), else the top-level elements in order.
 */
function scanGoJsonArray(text: string, start: number): JsonArrayElement[] | undefined {
  const elements: JsonArrayElement[] = [];
  const containers: number[] = [];
  const arrayOpen = 0x5b;
  const objectOpen = 0x7b;
  let numberOverflow = false;
  let index = start;
  let expecting: 'value' | 'key' | 'after' = 'value';
  const skipSpace = () => {
    while (index < text.length && isJsonSpace(text.charCodeAt(index))) index++;
  };
  for (;;) {
    skipSpace();
    if (expecting === 'after') {
      if (containers.length === 0) return index === text.length && !numberOverflow ? elements : undefined;
      const open = containers[containers.length - 1];
      const code = text.charCodeAt(index);
      if (code === 0x2c) {
        index++;
        expecting = open === objectOpen ? 'key' : 'value';
      } else if (code === (open === arrayOpen ? 0x5d : 0x7d)) {
        index++;
        containers.pop();
      } else {
        return undefined;
      }
      continue;
    }
    if (expecting === 'key') {
      if (text.charCodeAt(index) !== 0x22) return undefined;
      index = scanJsonString(text, index);
      if (index < 0) return undefined;
      skipSpace();
      if (text.charCodeAt(index) !== 0x3a) return undefined;
      index++;
      expecting = 'value';
      continue;
    }
    const valueStart = index;
    const topLevel = containers.length === 1;
    const code = text.charCodeAt(index);
    if (code === arrayOpen || code === objectOpen) {
      containers.push(code);
      if (containers.length > maxJsonDepth) return undefined;
      if (topLevel) elements.push({ offset: valueStart });
      index++;
      skipSpace();
      if (text.charCodeAt(index) === (code === arrayOpen ? 0x5d : 0x7d)) {
        index++;
        containers.pop();
        expecting = 'after';
      } else {
        expecting = code === arrayOpen ? 'value' : 'key';
      }
      continue;
    }
    if (code === 0x22) {
      index = scanJsonString(text, valueStart);
      if (index < 0) return undefined;
      if (topLevel) elements.push({ text: decodeJsonString(text.slice(valueStart, index)), offset: valueStart });
    } else if (code === 0x2d || isDigitCode(code)) {
      index = scanJsonNumber(text, valueStart);
      if (index < 0) return undefined;
      // Go decodes numbers into float64 and fails on overflow, which makes the whole text "not JSON".
      if (!Number.isFinite(Number(text.slice(valueStart, index)))) numberOverflow = true;
      if (topLevel) elements.push({ offset: valueStart });
    } else {
      const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, valueStart));
      if (literal === undefined) return undefined;
      index += literal.length;
      if (topLevel) elements.push({ offset: valueStart });
    }
    expecting = 'after';
  }
}
