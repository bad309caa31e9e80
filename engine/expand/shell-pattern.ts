// Shell patterns of `${V#p}`, `${V%p}` and `${V/p/r}` as BuildKit matches them: its conversion to a
// regular expression, the shortest or longest prefix and suffix, and Go's ReplaceAllString.
import { EOF, isDigit, isLetter, scannerCharacters, shown } from './characters.js';
import { ExpansionError } from './errors.js';

/**
 * BuildKit's convertShellPatternToRegex: `*` is any run (shortest unless greedy), `?` any one
 * character, `\` escapes only `*`, `?` and `\` (and is dropped before `}` and `/`); brackets are
 * literal. Like Go's `.`, the wildcards do not match a newline.
 */
export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = scannerCharacters(pattern);
  const anyChar = '[^\\n]';
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (ch === '*') {
      out += greedy ? `${anyChar}*` : `${anyChar}*?`;
      continue;
    }
    if (ch === '?') {
      out += anyChar;
      continue;
    }
    if (ch === '\\') {
      const following = chars[i + 1] ?? EOF;
      if (following === '}' || following === '/') continue;
      if (following !== '*' && following !== '?' && following !== '\\') {
        throw new ExpansionError(
          `invalid pattern (${pattern}) in substitution: invalid escape '\\${shown(following)}'`,
        );
      }
      out += '\\';
      ch = following;
      i++;
    } else if ('[]{}.+()|^$'.includes(ch)) {
      out += '\\';
    }
    out += ch;
  }
  return new RegExp(out, 'gu');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = shellPatternToRegex(pattern, greedy, true).exec(value);
  return match === null ? value : value.slice(match.index + match[0].length);
}

/** Reverses a pattern but keeps each escape before what it escapes (`a\*c` → `c\*a`). */
function reversePattern(pattern: string): string {
  const chars = [...pattern];
  const out = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last;) {
    if (chars[i] === '\\' && i !== last) {
      out[last - i - 1] = '\\';
      out[last - i] = chars[i + 1];
      i += 2;
    } else {
      out[last - i] = chars[i];
      i++;
    }
  }
  return out.join('');
}

const reverseText = (text: string): string => [...text].reverse().join('');

/** A regex finds leftmost matches only, so the rightmost one is found on the reversed strings. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseText(trimPrefix(reversePattern(pattern), reverseText(value), greedy));
}

/**
 * Go's Regexp.ReplaceAllString: an empty match right after a match is not replaced (JS would), and
 * the replacement is a Go template, where `$0`/`${0}` is the match, `$$` is `$` and other group
 * references are empty (the pattern has no groups).
 */
export function replaceAllLikeGo(regex: RegExp, source: string, replacement: string): string {
  let out = '';
  let lastMatchEnd = 0;
  let searchFrom = 0;
  while (searchFrom <= source.length) {
    regex.lastIndex = searchFrom;
    const match = regex.exec(source);
    if (match === null) break;
    const start = match.index;
    const end = start + match[0].length;
    out += source.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandGoTemplate(replacement, match[0]);
    lastMatchEnd = end;
    const width = searchFrom < source.length ? String.fromCodePoint(source.codePointAt(searchFrom) ?? 0).length : 0;
    if (searchFrom + width > end) searchFrom += width;
    else if (searchFrom + 1 > end) searchFrom++;
    else searchFrom = end;
  }
  return out + source.slice(lastMatchEnd);
}

/** Go's Regexp.Expand for a regex whose only group is the whole match. */
function expandGoTemplate(template: string, wholeMatch: string): string {
  let out = '';
  let rest = template;
  for (let dollar = rest.indexOf('$'); dollar >= 0; dollar = rest.indexOf('$')) {
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = parseGroupReference(rest);
    if (reference === undefined) {
      out += '$';
      continue;
    }
    rest = reference.rest;
    // Only "0" names group 0: Go refuses leading zeros, and every other group or name is absent.
    if (reference.name === '0') out += wholeMatch;
  }
  return out + rest;
}

/** `name` or `{name}` after a `$` in a Go template; undefined when malformed (the `$` is then literal). */
function parseGroupReference(text: string): { name: string; rest: string } | undefined {
  const chars = [...text];
  const braced = chars[0] === '{';
  let i = braced ? 1 : 0;
  const nameStart = i;
  while (i < chars.length && (isLetter(chars[i]) || isDigit(chars[i]) || chars[i] === '_')) i++;
  if (i === nameStart) return undefined;
  const name = chars.slice(nameStart, i).join('');
  if (braced) {
    if (chars[i] !== '}') return undefined;
    i++;
  }
  return { name, rest: chars.slice(i).join('') };
}
