// Heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) in RUN, COPY and ADD: which words of a logical line
// open one (BuildKit's heredocsFromLine and ParseHeredoc), and reading their bodies from the lines below.
import { PositionedError } from '../errors.js';
import { ExpansionError, ExpansionLimitError } from '../expand/errors.js';
import { expandWords } from '../expand/lex.js';
import { isGoSpaceCode } from '../go/strings.js';

export interface HeredocMarker {
  /** Delimiter word with quotes and escapes processed. */
  name: string;
  /** `3` in `3<<EOF`; 0 when absent (Go's ParseUint error is ignored, overflow gives the largest uint64). */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: no expansion in the body. */
  expand: boolean;
  /** `<<-`: leading tabs are removed from the body (when it is used) and from the terminator line. */
  chomp: boolean;
}

export interface LocatedHeredocMarker extends HeredocMarker {
  /** UTF-16 offset in the logical line of the `<<` (or its fd digits) that opened it. */
  offset: number;
}

/** A heredoc BuildKit refuses; `offset` is where in the logical line it starts. */
/** At an offset into the logical line (the parser maps it to a position). */
export class HeredocError extends PositionedError<number> {
  override readonly name = 'HeredocError';
  override readonly code = 'MSBUILD_HEREDOC';
}

/** BuildKit's reHeredoc; Go's `\d` is ASCII and its `\s` is `[\t\n\f\r ]`. */
const heredocPattern = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

const maxUint64 = 2n ** 64n - 1n;

/** BuildKit always lexes heredoc words with `\`, whatever the escape directive says. */
const lexerOptions = { escapeToken: '\\', skipUnsetEnv: true } as const;
const noVariables: ReadonlyMap<string, string> = new Map();

const quoteCount = (text: string) => {
  let count = 0;
  for (const ch of text) if (ch === '"' || ch === "'") count++;
  return count;
};

/**
 * BuildKit's ParseHeredoc: the heredoc a word opens, or undefined when it opens none.
 * Throws ExpansionError when the delimiter cannot be lexed (BuildKit's "failed to process ..." errors).
 */
export function parseHeredocWord(word: string): HeredocMarker | undefined {
  const match = heredocPattern.exec(word);
  if (!match) return undefined;
  const [, digits, dash, rest] = match;
  if (rest.length === 0) return undefined;
  const words = expandWords(rest, noVariables, { ...lexerOptions, rawQuotes: false });
  if (words.length !== 1) return undefined;
  const rawWords = expandWords(rest, noVariables, { ...lexerOptions, rawQuotes: true });
  if (rawWords.length !== words.length)
    throw new ExpansionError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const fd = digits === '' ? 0n : BigInt(digits);
  return {
    name: words[0],
    // Quotes that lexing removed mean part of the delimiter was quoted.
    expand: quoteCount(words[0]) === quoteCount(rawWords[0]),
    chomp: dash === '-',
    fileDescriptor: Number(fd > maxUint64 ? maxUint64 : fd),
  };
}

/**
 * Where `<<` can start a heredoc word: not after another `<`, and preceded only by fd digits back
 * to the start of the line or a space. Used to point errors at the marker the lexer found.
 */
function markerOffsets(line: string): number[] {
  const offsets: number[] = [];
  for (let index = line.indexOf('<<'); index >= 0; index = line.indexOf('<<', index + 2)) {
    if (index > 0 && line[index - 1] === '<') continue;
    let start = index;
    while (start > 0 && line.charCodeAt(start - 1) >= 0x30 && line.charCodeAt(start - 1) <= 0x39) start--;
    if (start === 0 || isGoSpaceCode(line.charCodeAt(start - 1))) offsets.push(start);
  }
  return offsets;
}

/**
 * BuildKit's heredocsFromLine: every heredoc the words of a logical line open, in order. A line the
 * lexer cannot split opens none (BuildKit ignores that error); a heredoc word whose delimiter cannot
 * be lexed is an error.
 */
export function heredocsOfLine(line: string): LocatedHeredocMarker[] {
  let words: string[];
  try {
    words = expandWords(line, noVariables, { ...lexerOptions, rawQuotes: true, rawEscapes: true });
  } catch (error) {
    if (error instanceof ExpansionError && !(error instanceof ExpansionLimitError)) return [];
    throw tooDeep(error, 0);
  }
  const offsets = markerOffsets(line);
  const markers: LocatedHeredocMarker[] = [];
  let opened = 0;
  for (const word of words) {
    if (!/^[0-9]*<</.test(word)) continue;
    const offset = offsets[opened] ?? offsets[offsets.length - 1] ?? 0;
    opened++;
    let marker: HeredocMarker | undefined;
    try {
      marker = parseHeredocWord(word);
    } catch (error) {
      if (error instanceof ExpansionError && !(error instanceof ExpansionLimitError))
        throw new HeredocError(error.message, offset);
      throw tooDeep(error, offset);
    }
    if (marker) markers.push({ ...marker, offset });
  }
  return markers;
}

/**
 * The lexer recurses into `${...}`; JavaScript's stack ends after about 1,500 levels where Go's does
 * not. Rather than miss a heredoc BuildKit would find, such a line is refused.
 */
function tooDeep(error: unknown, offset: number): unknown {
  if (!(error instanceof ExpansionLimitError)) return error;
  return new HeredocError(
    'cannot look for heredocs in this line: its ${...} expressions are nested too deeply',
    offset,
  );
}

/** A physical line of the file, with its line ending. */
export interface SourceLine {
  text: string;
  /** 1-based line number. */
  number: number;
}

export interface LineSource {
  next(): SourceLine | undefined;
}

/** Go's bytes.TrimRight(line, "\r\n"). */
export function trimLineEnding(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0a || text.charCodeAt(end - 1) === 0x0d)) end--;
  return text.slice(0, end);
}

/**
 * Reads a heredoc's body: lines, verbatim with their endings, up to the terminator line (the name
 * alone on its line; for `<<-` after leading tabs). `lastLine` is the terminator, or the last line
 * read when the file ended first.
 */
export function readHeredocBody(
  marker: HeredocMarker,
  lines: LineSource,
): { content: string; terminated: boolean; lastLine?: SourceLine } {
  let content = '';
  let lastLine: SourceLine | undefined;
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    lastLine = line;
    let candidate = trimLineEnding(line.text);
    if (marker.chomp) candidate = candidate.replace(/^\t+/, '');
    if (candidate === marker.name) return { content, terminated: true, lastLine };
    content += line.text;
  }
  return { content, terminated: false, lastLine };
}

/** BuildKit's ChompHeredocContent: leading tabs off every line (what `<<-` bodies get when used). */
export function chompHeredocContent(content: string): string {
  return content.replace(/(^|\n)\t+/g, '$1');
}
