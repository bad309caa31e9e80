// Heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) in RUN, COPY and ADD: which words of a line open
// one, whether the body expands variables (not when the delimiter is quoted), and chomping tabs.
import { expandWords } from '../expand/lex.js';

export interface HeredocMarker {
  name: string;
  fileDescriptor: number;
  expand: boolean;
  chomp: boolean;
}

const heredocPattern = /^(\d*)<<(-?)\s*([^<]*)$/su;

/** The heredoc a word opens (`<<EOF`), or undefined. Throws when the lexer cannot read the delimiter. */
export function parseHeredocWord(word: string): HeredocMarker | undefined {
  const match = heredocPattern.exec(word);
  if (!match) return undefined;
  const rest = match[3];
  if (rest.length === 0) return undefined;
  const lex = { escapeToken: '\\' as const, skipUnsetEnv: true };
  const words = expandWords(rest, new Map(), { ...lex, rawQuotes: false });
  if (words.length !== 1) return undefined;
  const rawWords = expandWords(rest, new Map(), { ...lex, rawQuotes: true });
  if (rawWords.length !== words.length) throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (text: string) => (text.match(/['"]/g) ?? []).length;
  return {
    name: words[0],
    // Quotes anywhere in the delimiter turn expansion of the body off.
    expand: quotes(words[0]) === quotes(rawWords[0]),
    chomp: match[2] === '-',
    fileDescriptor: match[1] === '' ? 0 : Number(match[1]),
  };
}

/** Every heredoc a logical line opens, in order. */
export function heredocsOfLine(line: string): HeredocMarker[] {
  let words: string[];
  try {
    words = expandWords(line, new Map(), { escapeToken: '\\', rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  } catch {
    // BuildKit ignores the lexer's error here: a line it cannot split has no heredocs.
    return [];
  }
  return words.flatMap((word) => {
    const marker = parseHeredocWord(word);
    return marker ? [marker] : [];
  });
}

/** `<<-` bodies lose the leading tabs of every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
