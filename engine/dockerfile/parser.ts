// The Dockerfile parser: text → parse tree, with BuildKit's rules (parser.go): directives at the top,
// comments, line continuations with the escape character (comment and blank lines inside them
// skipped), CRLF, a BOM, heredoc bodies — and every node's line and column.
import type { DockerfileAst, FlagNode, Heredoc, InstructionNode, ParseWarning, Position } from './ast.js';
import { DirectiveScanner, escapeTokenOf } from './directives.js';
import { syntaxErrorAt } from './errors.js';
import { heredocsOfLine } from './heredoc.js';
import { isGoSpace } from '../expand/lex.js';
import { LineParseError, parseCommand, type ParsedCommand } from './line-parsers.js';

/** Physical lines with their endings, as bufio.Scanner with BuildKit's scanLines gives them. */
function physicalLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, newline + 1));
    start = newline + 1;
  }
}

const trimNewline = (line: string) => line.replace(/[\r\n]+$/u, '');
const trimLeadingSpace = (line: string) => {
  const chars = [...line];
  let i = 0;
  while (i < chars.length && isGoSpace(chars[i])) i++;
  return chars.slice(i).join('');
};
const isComment = (line: string) => trimLeadingSpace(line).startsWith('#');
const isEmptyContinuationLine = (line: string) => trimLeadingSpace(trimNewline(line)).length === 0;

function continuationPattern(escapeToken: string): RegExp {
  const e = escapeToken === '\\' ? '\\\\' : escapeToken;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`, 'u');
}

/** Where each piece of a logical line came from, to turn offsets back into line and column. */
interface Segment {
  offset: number;
  line: number;
  column: number;
}

function positionAt(segments: readonly Segment[], offset: number): Position {
  let segment = segments[0];
  for (const candidate of segments) if (candidate.offset <= offset) segment = candidate;
  return { line: segment.line, column: segment.column + (offset - segment.offset) };
}

export interface ParseOptions {
  /** File name used in messages (default `Dockerfile`). */
  file?: string;
}

/** Parses Dockerfile text. Throws DockerfileSyntaxError (and nothing else) on bad input. */
export function parseDockerfile(source: string, options: ParseOptions = {}): DockerfileAst {
  const file = options.file ?? 'Dockerfile';
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const where = { file, source: text };
  if (source.length === 0) throw syntaxErrorAt(where, { line: 1, column: 1 }, 'the Dockerfile cannot be empty');
  const lines = physicalLines(text);
  const scanner = new DirectiveScanner();
  let escapeToken: '\\' | '`' = '\\';
  let continuation = continuationPattern(escapeToken);
  const directives: DockerfileAst['directives'] = [];
  const instructions: InstructionNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let index = 0;

  /** BuildKit's processLine: trims, watches for directives, drops comments. */
  const processLine = (raw: string, lineNumber: number, stripLeft: boolean): { token: string; directive: boolean } => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeadingSpace(token);
    let found;
    try {
      found = scanner.scan(token);
    } catch (error) {
      throw syntaxErrorAt(where, { line: lineNumber, column: 1 }, (error as Error).message);
    }
    if (found) {
      if (found.name === 'escape') {
        try {
          escapeToken = escapeTokenOf(found.value);
        } catch (error) {
          throw syntaxErrorAt(where, { line: lineNumber, column: 1 }, (error as Error).message);
        }
        continuation = continuationPattern(escapeToken);
      }
      directives.push({ name: found.name, value: found.value, position: { line: lineNumber, column: 1 } });
    }
    return { token: isComment(token) ? '' : token, directive: found !== undefined };
  };

  const trimContinuation = (line: string): { line: string; end: boolean } => {
    if (continuation.test(line)) return { line: line.replace(continuation, '$1'), end: false };
    return { line, end: true };
  };

  while (index < lines.length) {
    const raw = lines[index];
    const lineNumber = index + 1;
    index++;
    if (isComment(raw)) {
      const comment = raw.slice(1).trim();
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const { token, directive } = processLine(raw, lineNumber, true);
    if (directive) comments.pop();
    const startLine = lineNumber;
    const leading = trimNewline(raw).length - trimLeadingSpace(trimNewline(raw)).length;
    const first = trimContinuation(token);
    if (first.end && first.line.length === 0) continue;
    let logical = first.line;
    const segments: Segment[] = [{ offset: 0, line: lineNumber, column: leading + 1 }];
    let endLine = lineNumber;
    let endColumn = trimNewline(raw).length + 1;
    let emptyContinuation = false;
    let ended = first.end;
    while (!ended && index < lines.length) {
      const nextRaw = lines[index];
      const nextNumber = index + 1;
      index++;
      const processed = processLine(nextRaw, nextNumber, false);
      endLine = nextNumber;
      endColumn = trimNewline(nextRaw).length + 1;
      if (isComment(nextRaw)) continue;
      if (isEmptyContinuationLine(processed.token)) {
        emptyContinuation = true;
        continue;
      }
      const next = trimContinuation(processed.token);
      segments.push({ offset: logical.length, line: nextNumber, column: 1 });
      logical += next.line;
      ended = next.end;
    }
    if (emptyContinuation) {
      warnings.push({ message: `Empty continuation line found in: ${logical}`, position: { line: endLine, column: 1 } });
    }

    let command: ParsedCommand;
    try {
      command = parseCommand(logical, escapeToken);
    } catch (error) {
      if (error instanceof LineParseError) throw syntaxErrorAt(where, positionAt(segments, error.offset ?? 0), error.message);
      throw error;
    }
    const node = toNode(command, logical, comments, segments, 0);
    if (canContainHeredoc(command) && logical.includes('<<')) {
      let markers;
      try {
        markers = heredocsOfLine(logical);
      } catch (error) {
        throw syntaxErrorAt(where, positionAt(segments, logical.indexOf('<<')), (error as Error).message);
      }
      let searchFrom = 0;
      for (const marker of markers) {
        const opened = logical.indexOf('<<', searchFrom);
        searchFrom = opened < 0 ? searchFrom : opened + 2;
        let content = '';
        let terminated = false;
        while (index < lines.length) {
          const bodyLine = lines[index];
          index++;
          endLine = index;
          endColumn = trimNewline(bodyLine).length + 1;
          let candidate = trimNewline(bodyLine);
          if (marker.chomp) candidate = candidate.replace(/^\t+/u, '');
          if (candidate === marker.name) {
            terminated = true;
            break;
          }
          content += bodyLine;
        }
        if (!terminated) {
          throw syntaxErrorAt(where, positionAt(segments, Math.max(0, opened)), `unterminated heredoc: no line ${JSON.stringify(marker.name)} ends the heredoc opened here`);
        }
        const heredoc: Heredoc = { name: marker.name, content, expand: marker.expand, chomp: marker.chomp, fileDescriptor: marker.fileDescriptor };
        node.heredocs.push(heredoc);
      }
    }
    node.range = { start: node.range.start, end: { line: endLine, column: endColumn } };
    if (node.child) node.child.range = { start: node.child.range.start, end: node.range.end };
    instructions.push(node);
    comments = [];
  }
  if (instructions.length === 0) {
    throw syntaxErrorAt(where, { line: Math.max(1, lines.length), column: 1 }, 'file with no instructions');
  }
  return { file, source: text, directives, escapeToken, instructions, warnings };
}

/** Heredocs belong to RUN, COPY and ADD in shell form, also under ONBUILD. */
function canContainHeredoc(command: ParsedCommand): boolean {
  let target = command;
  if (command.keyword.toLowerCase() === 'onbuild') {
    const item = command.chain[0];
    if (item && 'child' in item) target = item.child;
  }
  return ['add', 'copy', 'run'].includes(target.keyword.toLowerCase()) && !target.json;
}

/** A parsed logical line as a node; `startOffset` is where its keyword is in the line (ONBUILD's trigger is not at 0). */
function toNode(command: ParsedCommand, original: string, comments: string[], segments: readonly Segment[], startOffset: number): InstructionNode {
  const flags: FlagNode[] = command.flags.map((flag) => ({ text: flag.text, position: positionAt(segments, flag.offset) }));
  const childItem = command.chain.find((item): item is { child: ParsedCommand } => 'child' in item);
  // ONBUILD's trigger starts where ONBUILD's arguments start; its text is the rest of the line.
  const child = childItem ? toNode(childItem.child, original.slice(command.argsOffset), [], segments, command.argsOffset) : undefined;
  const args = child ? [child.keywordText, ...child.args] : command.chain.map((item) => ('value' in item ? item.value : ''));
  const start = positionAt(segments, startOffset);
  return {
    keyword: command.keyword.toLowerCase(),
    keywordText: command.keyword,
    flags,
    args,
    json: command.json,
    heredocs: [],
    ...(child ? { child } : {}),
    original,
    comments: [...comments],
    range: { start, end: start },
    argsPosition: positionAt(segments, command.argsOffset),
  };
}
