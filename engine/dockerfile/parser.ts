// The Dockerfile parser: text → parse tree with BuildKit's rules (parser.go): directives at the top,
// comments, continuation lines (comment and blank lines inside skipped), CRLF, a BOM, BuildKit's
// 64 KiB line limit, heredoc bodies — and the line and column of every node, flag and error.
import { goQuote } from '../go/quote.js';
import { goString, goToLower, goTrimSpace, leadingGoSpace } from '../go/strings.js';
import type { DockerfileAst, FlagNode, Heredoc, InstructionNode, ParseWarning, Position } from './ast.js';
import { DirectiveError, DirectiveScanner, escapeTokenOf } from './directives.js';
import { syntaxErrorAt } from './errors.js';
import {
  HeredocError,
  heredocsOfLine,
  readHeredocBody,
  trimLineEnding,
  type LineSource,
  type SourceLine,
} from './heredoc.js';
import { LineParseError, parseCommandLine, type CommandLine, type EscapeToken } from './line-parsers.js';

export interface ParseOptions {
  /** File name used in messages (default `Dockerfile`). */
  file?: string;
}

/** bufio.MaxScanTokenSize: BuildKit's scanner refuses a line (with its newline) longer than this many bytes. */
const maxLineBytes = 64 * 1024;

const lineTooLongMessage = `dockerfile line greater than max allowed size of ${maxLineBytes - 1}`;

/**
 * The file's physical lines as BuildKit's bufio.Scanner gives them: each with its `\n`, and none
 * from the first line longer than the scanner's buffer on (BuildKit then stops reading), but for
 * the one partial line the scanner still hands out when asked again (see partialLine).
 */
class PhysicalLines implements LineSource {
  private offset = 0;
  private count = 0;
  /** Number of the line that was too long to read, if one was. */
  tooLongLine?: number;
  private partialLineGiven = false;

  constructor(
    private readonly text: string,
    /** Bytes of a BOM removed from the first line, which still counted against the limit. */
    private readonly firstLineExtraBytes: number,
  ) {}

  /** How many lines were read. */
  get linesRead(): number {
    return this.count;
  }

  next(): SourceLine | undefined {
    if (this.tooLongLine !== undefined) return this.partialLine();
    if (this.offset >= this.text.length) return undefined;
    const newline = this.text.indexOf('\n', this.offset);
    const end = newline < 0 ? this.text.length : newline + 1;
    const text = this.text.slice(this.offset, end);
    // Quick check before counting bytes: a UTF-8 character has at most 3 bytes per UTF-16 unit.
    if (text.length * 3 + 3 >= maxLineBytes) {
      const bytes = Buffer.byteLength(text, 'utf8') + (this.count === 0 ? this.firstLineExtraBytes : 0);
      // Without a newline the scanner needs one byte of room more to see the end of the file.
      if (newline < 0 ? bytes >= maxLineBytes : bytes > maxLineBytes) {
        this.tooLongLine = this.count + 1;
        return undefined;
      }
    }
    this.offset = end;
    this.count++;
    return { text, number: this.count };
  }

  /**
   * Scan called again after ErrTooLong returns the scanner's full buffer once, as if the file ended
   * there: the first 64 KiB of the long line, a cut last character as stray bytes. BuildKit's parser
   * asks again when the long line ended a continuation, and parses that piece as an instruction.
   */
  private partialLine(): SourceLine | undefined {
    if (this.partialLineGiven) return undefined;
    this.partialLineGiven = true;
    // One UTF-16 unit more than bytes needed, so that a cut surrogate pair lies past the buffer.
    const bytes = Buffer.from(this.text.slice(this.offset, this.offset + maxLineBytes + 1), 'utf8');
    this.count++;
    return { text: goString(bytes, 0, maxLineBytes), number: this.count };
  }
}

/** A comment line: `#` is its first non-space character. */
function isComment(text: string): boolean {
  return text.charCodeAt(leadingGoSpace(text)) === 0x23;
}

/**
 * BuildKit's trimContinuationCharacter: an escape character at the end of the line (before blanks),
 * not itself escaped, continues the line; it and the blanks are removed.
 */
function trimContinuation(line: string, escapeToken: EscapeToken): { text: string; continues: boolean } {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end === 0 || line[end - 1] !== escapeToken) return { text: line, continues: false };
  if (end === 1) return { text: '', continues: true };
  if (line[end - 2] === escapeToken) return { text: line, continues: false };
  return { text: line.slice(0, end - 1), continues: true };
}

/** Where a piece of a logical line came from, to turn offsets back into lines and columns. */
interface Segment {
  offset: number;
  line: number;
  column: number;
}

function positionIn(segments: readonly Segment[], offset: number): Position {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (segments[middle].offset <= offset) low = middle;
    else high = middle - 1;
  }
  const segment = segments[low];
  return { line: segment.line, column: segment.column + (offset - segment.offset) };
}

/** The parse tree of one logical line (and its child, for ONBUILD). */
function toNode(
  command: CommandLine,
  segments: readonly Segment[],
  comments: string[],
  end: Position,
): InstructionNode {
  const child = command.child ? toNode(command.child, segments, [], end) : undefined;
  const flags: FlagNode[] = command.flags.map((flag) => ({
    text: flag.text,
    position: positionIn(segments, flag.offset),
  }));
  return {
    keyword: goToLower(command.keyword),
    keywordText: command.keyword,
    flags,
    args: command.args,
    json: command.json,
    heredocs: [],
    ...(child ? { child } : {}),
    original: command.original,
    comments,
    range: { start: positionIn(segments, command.keywordOffset), end },
    argsPosition: positionIn(segments, command.argsOffset),
  };
}

/** BuildKit's canContainHeredoc: RUN, COPY and ADD not in JSON form, also as ONBUILD's trigger. */
function canContainHeredoc(command: CommandLine): boolean {
  const target = goToLower(command.keyword) === 'onbuild' && command.child ? command.child : command;
  return ['add', 'copy', 'run'].includes(goToLower(target.keyword)) && !target.json;
}

/**
 * Go's `strings.TrimSpace(string(line[1:]))` for a comment line: BuildKit drops the first byte, not the
 * `#`; the rest of a cut first character stays as stray bytes (see isStrayByte).
 */
function commentText(line: string): string {
  const first = line.codePointAt(0) ?? 0;
  const firstLength = first > 0xffff ? 2 : 1;
  const cut = Buffer.from(String.fromCodePoint(first), 'utf8').subarray(1);
  return goTrimSpace(String.fromCharCode(...Array.from(cut, (byte) => 0xdc00 + byte)) + line.slice(firstLength)).text;
}

/** Lone surrogates cannot come from UTF-8; they become U+FFFD, as decoding would have made them. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Parses Dockerfile text. Throws DockerfileSyntaxError, and nothing else, on text BuildKit's parser refuses. */
export function parseDockerfile(source: string, options: ParseOptions = {}): DockerfileAst {
  const file = options.file ?? 'Dockerfile';
  const hasBom = source.startsWith('\ufeff');
  const text = wellFormed(hasBom ? source.slice(1) : source);
  const where = { file, source: text };
  // What `docker build` says before its parser sees the file.
  if (source.length === 0) throw syntaxErrorAt(where, { line: 1, column: 1 }, 'the Dockerfile cannot be empty');
  const lines = new PhysicalLines(text, hasBom ? 3 : 0);
  const directiveScanner = new DirectiveScanner();
  const directives: DockerfileAst['directives'] = [];
  const instructions: InstructionNode[] = [];
  const warnings: ParseWarning[] = [];
  let escapeToken: EscapeToken = '\\';
  let comments: string[] = [];

  /** BuildKit's processLine: the line without its ending (and leading blanks), directives noted, comments emptied. */
  const processLine = (line: SourceLine, stripLeadingSpace: boolean): { token: string; directive: boolean } => {
    let token = trimLineEnding(line.text);
    const lead = stripLeadingSpace ? leadingGoSpace(token) : 0;
    token = token.slice(lead);
    try {
      const directive = directiveScanner.scan(token);
      if (directive) {
        const position = { line: line.number, column: lead + 1 };
        if (directive.name === 'escape')
          escapeToken = escapeTokenOfAt(directive.value, line.number, lead + 1 + directive.valueOffset);
        directives.push({ name: directive.name, value: directive.value, position });
      }
      return { token: isComment(token) ? '' : token, directive: directive !== undefined };
    } catch (error) {
      if (error instanceof DirectiveError)
        throw syntaxErrorAt(where, { line: line.number, column: lead + 1 + error.position }, error.message);
      throw error;
    }
  };
  const escapeTokenOfAt = (value: string, line: number, column: number): EscapeToken => {
    try {
      return escapeTokenOf(value);
    } catch (error) {
      if (error instanceof DirectiveError) throw syntaxErrorAt(where, { line, column }, error.message);
      throw error;
    }
  };

  for (let first = lines.next(); first !== undefined; first = lines.next()) {
    if (isComment(first.text)) {
      const comment = commentText(first.text);
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const processed = processLine(first, true);
    // A directive is not a comment of the first instruction.
    if (processed.directive) comments.pop();
    const firstPiece = trimContinuation(processed.token, escapeToken);
    if (!firstPiece.continues && firstPiece.text.length === 0) continue;

    const lead = trimLineEnding(first.text).length - processed.token.length;
    const segments: Segment[] = [{ offset: 0, line: first.number, column: lead + 1 }];
    let logical = firstPiece.text;
    let lastLine = first;
    let continues = firstPiece.continues;
    let emptyContinuationLine = false;
    while (continues) {
      const next = lines.next();
      if (next === undefined) break;
      lastLine = next;
      const { token } = processLine(next, false);
      if (isComment(next.text)) continue;
      if (leadingGoSpace(token) === token.length) {
        emptyContinuationLine = true;
        continue;
      }
      const piece = trimContinuation(token, escapeToken);
      segments.push({ offset: logical.length, line: next.number, column: 1 });
      logical += piece.text;
      continues = piece.continues;
    }
    if (emptyContinuationLine) {
      warnings.push({
        message: `Empty continuation line found in: ${logical}`,
        position: { line: lastLine.number, column: 1 },
      });
    }

    let command: CommandLine;
    try {
      command = parseCommandLine(logical, escapeToken);
    } catch (error) {
      if (error instanceof LineParseError)
        throw syntaxErrorAt(where, positionIn(segments, error.position), error.message);
      throw error;
    }

    const heredocs: Heredoc[] = [];
    if (canContainHeredoc(command) && logical.includes('<<')) {
      let markers;
      try {
        markers = heredocsOfLine(logical);
      } catch (error) {
        if (error instanceof HeredocError)
          throw syntaxErrorAt(where, positionIn(segments, error.position), error.message);
        throw error;
      }
      for (const marker of markers) {
        const body = readHeredocBody(marker, lines);
        if (!body.terminated) {
          const opened = positionIn(segments, marker.offset);
          throw syntaxErrorAt(
            where,
            opened,
            `unterminated heredoc: no line ${goQuote(marker.name)} closes it before the end of the file`,
          );
        }
        if (body.lastLine) lastLine = body.lastLine;
        const { name, expand, chomp, fileDescriptor } = marker;
        heredocs.push({ name, content: body.content, expand, chomp, fileDescriptor });
      }
    }

    const end = { line: lastLine.number, column: trimLineEnding(lastLine.text).length + 1 };
    const node = toNode(command, segments, comments, end);
    node.heredocs = heredocs;
    instructions.push(node);
    comments = [];
  }

  // BuildKit's order: no instructions first (also when the first line was too long to read).
  if (instructions.length === 0)
    throw syntaxErrorAt(where, { line: Math.max(1, lines.linesRead), column: 1 }, 'file with no instructions');
  if (lines.tooLongLine !== undefined)
    throw syntaxErrorAt(where, { line: lines.tooLongLine, column: 1 }, lineTooLongMessage);
  return { file, source: text, directives, escapeToken, instructions, warnings };
}
