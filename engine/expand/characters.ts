// Characters as BuildKit's shell lexer reads them: Go's text/scanner code points, its EOF, and
// unicode's letter, digit and space classes.
import { isGoSpaceCode } from '../go/strings.js';

/** Go's unicode.IsSpace for one code point (every Go space is in the BMP). */
export const isGoSpace = (ch: string): boolean => ch.length === 1 && isGoSpaceCode(ch.charCodeAt(0));
export const isLetter = (ch: string): boolean => /^\p{L}$/u.test(ch);
export const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);

/** End of input; every real character is a non-empty string. */
export const EOF = '';
/** What Go's string(rune) gives for text/scanner's EOF (-1), and so what BuildKit's messages show. */
const EOF_TEXT = '\ufffd';
const BYTE_ORDER_MARK = '\ufeff';

export const shown = (ch: string): string => (ch === EOF ? EOF_TEXT : ch);

/** The code points of a text, read like Go's text/scanner does (a leading byte order mark is skipped). */
export function scannerCharacters(text: string): string[] {
  const chars = [...text];
  if (chars[0] === BYTE_ORDER_MARK) chars.shift();
  return chars;
}
