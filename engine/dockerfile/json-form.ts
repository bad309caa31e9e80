// The JSON form of an instruction (`RUN ["a", "b"]`) as BuildKit's parseJSON reads it: Go's
// encoding/json scanner, emulated, so the same texts are JSON (and the same ones are not).
import { leadingGoSpace } from '../go/strings.js';

export type JsonForm =
  | { kind: 'strings'; values: string[] }
  /** A JSON array with something other than a string: BuildKit's errDockerfileNotStringArray. */
  | { kind: 'not-strings'; offset: number }
  /** Not JSON, or JSON Go refuses: the instruction falls back to its other form. */
  | { kind: 'not-json' };

/** BuildKit's parseJSON: a JSON array of strings, as Go's encoding/json decodes it into []any. */
export function parseJsonForm(rest: string): JsonForm {
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
const isHexCode = (code: number) =>
  isDigitCode(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);

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
  const hexAt = (at: number) =>
    literal[at] === '\\' && literal[at + 1] === 'u' ? Number.parseInt(literal.slice(at + 2, at + 6), 16) : -1;
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
