// Loads YAML with the line of every mapping and of every key in it, block or flow style alike, so a
// bake file's errors can name their line. js-yaml builds plain objects and forgets positions; its
// `listener` reports each node as it opens and closes, with the reader's position, and that is enough:
// a scalar that is immediately followed by `:` is a key of the node that encloses it.
import yaml from 'js-yaml';

export interface YamlLines {
  /** 1-based line where this mapping or list starts (for one under a key: the key's line). */
  of(node: object): number | undefined;
  /** 1-based line of `key` in this mapping (a key merged in with `<<` has none: use `of`). */
  key(node: object, key: string): number | undefined;
}

interface Frame {
  line: number;
  keys: Map<string, number>;
}

/** The next character that is not white space or a line break, from `position`. */
function nextSignificant(input: string, position: number): string | undefined {
  for (let i = position; i < input.length; i++) {
    const ch = input[i];
    if (ch !== ' ' && ch !== '\t' && ch !== '\r' && ch !== '\n') return ch;
  }
  return undefined;
}

/** Parses `text` (errors are js-yaml's YAMLException, which has its own line) and indexes its lines. */
export function loadWithLines(text: string, filename: string): { document: unknown; lines: YamlLines } {
  const open: Frame[] = [];
  // Keyed by the objects js-yaml returns. An alias is the anchored object itself: the first
  // (anchored) place wins, which is where its keys were written.
  const frames = new WeakMap<object, Frame>();
  const document: unknown = yaml.load(text, {
    filename,
    listener(event, state) {
      if (event === 'open') {
        open.push({ line: state.line + 1, keys: new Map() });
        return;
      }
      const frame = open.pop();
      const result: unknown = state.result;
      if (frame === undefined) return;
      if (result !== null && typeof result === 'object') {
        if (!frames.has(result)) frames.set(result, frame);
        return;
      }
      // A key ends on its own line (implicit keys cannot span lines), and its reader stops right
      // after it; a value's reader stops before whatever follows, which is never a `:` in valid YAML.
      if (
        (typeof result === 'string' || typeof result === 'number' || typeof result === 'boolean') &&
        nextSignificant(state.input, state.position) === ':'
      ) {
        const parent = open.at(-1);
        if (parent !== undefined && !parent.keys.has(String(result))) parent.keys.set(String(result), state.line + 1);
      }
    },
  });
  return {
    document,
    lines: {
      of: (node) => frames.get(node)?.line,
      key: (node, key) => frames.get(node)?.keys.get(key),
    },
  };
}
