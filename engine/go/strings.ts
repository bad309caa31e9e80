// Go's string semantics where BuildKit's parser relies on them: unicode.IsSpace, strings.TrimSpace and
// ToLower, UTF-8 byte offsets, and string(bytes[a:b]) cut inside a character. A leaf, like go/quote.ts:
// the parser and the shell lexer both use it.
import { isStrayByte, newerThanGo } from './quote.js';

/** Go's unicode.IsSpace for one UTF-16 code unit (every Go space is in the BMP). */
export function isGoSpaceCode(code: number): boolean {
  if (code <= 0xff) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0;
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
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

/** A text's UTF-8 bytes, and the UTF-16 offset of the character each byte belongs to. */
export interface Utf8Text {
  bytes: Buffer;
  utf16At(byteOffset: number): number;
}

export function utf8Text(text: string): Utf8Text {
  // A stray byte (see isStrayByte) is that one byte again, as in the Go string it came from.
  const bytes = /[\udc80-\udcff]/u.test(text)
    ? Buffer.concat(
        text
          .split(/([\udc80-\udcff])/u)
          .map((part, index) => (index % 2 === 1 ? Buffer.of(part.charCodeAt(0) - 0xdc00) : Buffer.from(part, 'utf8'))),
      )
    : Buffer.from(text, 'utf8');
  if (bytes.length === text.length) return { bytes, utf16At: (byteOffset) => byteOffset };
  const offsets = new Int32Array(bytes.length + 1);
  let byteOffset = 0;
  for (let index = 0; index < text.length;) {
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
  const stray = (from: number, to: number) =>
    String.fromCharCode(...Array.from(bytes.subarray(from, to), (byte) => 0xdc00 + byte));
  return stray(start, first) + bytes.toString('utf8', first, last) + stray(last, end);
}
