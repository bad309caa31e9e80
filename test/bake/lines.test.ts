// Unit: the YAML loader behind bake files' messages gives the line of every key and mapping, in
// block style, flow style, flow mappings over several lines, after comments, with CRLF and `<<`.
import test from 'ava';
import { isMapping } from '../../engine/bake/fields.js';
import { loadWithLines } from '../../engine/bake/yaml-lines.js';

function child(node: unknown, key: string): Record<string, unknown> {
  if (!isMapping(node) || !isMapping(node[key])) throw new Error(`no mapping at ${key}`);
  return node[key];
}

test('block and flow style keys have their own lines', (t) => {
  const text =
    '# bake\n\ntargets:\n  a: {context: ., foo: 1}\n  b:\n    # comment: not a key\n\n    context: 5\n    "tags": [x,\n      y]\n  c: {\n    context: .,\n    bar: 2\n  }\n';
  const { document, lines } = loadWithLines(text, 'f.yaml');
  const targets = child(document, 'targets');
  t.is(lines.key(document as object, 'targets'), 3);
  t.is(lines.key(targets, 'a'), 4);
  t.is(lines.key(child(targets, 'a'), 'foo'), 4);
  t.is(lines.key(child(targets, 'b'), 'context'), 8);
  t.is(lines.key(child(targets, 'b'), 'tags'), 9);
  t.is(lines.key(child(targets, 'b'), 'comment'), undefined);
  t.is(lines.key(child(targets, 'c'), 'bar'), 13);
  t.is(lines.of(child(targets, 'c')), 11);
});

test('CRLF, JSON and quoted keys', (t) => {
  const crlf = loadWithLines('targets:\r\n  a:\r\n    context: .\r\n    foo: bar\r\n', 'f.yaml');
  t.is(crlf.lines.key(child(child(crlf.document, 'targets'), 'a'), 'foo'), 4);
  const json = loadWithLines('{\n  "targets": {\n    "a": {"context": ".",\n      "x": 1}\n  }\n}\n', 'f.json');
  t.is(json.lines.key(child(child(json.document, 'targets'), 'a'), 'x'), 4);
  const quoted = loadWithLines('a:\n  \'b c\': 1\n  "d": {e: 1}\n', 'f.yaml');
  t.is(quoted.lines.key(child(quoted.document, 'a'), 'b c'), 2);
  t.is(quoted.lines.key(child(child(quoted.document, 'a'), 'd'), 'e'), 3);
});

test('values that look like keys are not keys; a merged mapping keeps its own lines', (t) => {
  const text = 'base: &base\n  context: .\n  url: "x: y"\nt:\n  <<: *base\n  tags: {x: 1}\n';
  const { document, lines } = loadWithLines(text, 'f.yaml');
  const merged = child(document, 't');
  t.is(lines.key(merged, 'tags'), 6);
  t.is(lines.key(merged, 'context'), undefined, 'written under base, not here');
  t.is(lines.of(merged), 4);
  t.is(lines.key(child(document, 'base'), 'url'), 3);
  t.false(lines.key(child(document, 'base'), 'x: y') !== undefined);
});
