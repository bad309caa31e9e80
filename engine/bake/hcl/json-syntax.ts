// HCL's JSON syntax as bake reads `docker-bake.json`: the document is parsed as one HCL expression (an
// object), so every string is a template (`${TAG}` is evaluated, as buildx does) and keeps its line;
// then top-level keys naming a block type hold objects of labels, and the rest are attributes.
import type { Body, Expr } from './ast.js';
import { HclError } from './errors.js';

const blockTypes = new Set(['variable', 'function', 'target', 'group']);

export function jsonBody(expr: Expr, file: string, source: string, nested = false): Body {
  if (expr.kind !== 'object') throw new HclError('a JSON bake file is an object', expr.at, source);
  const body: Body = { attributes: [], blocks: [] };
  for (const item of expr.items) {
    const key =
      item.key.kind === 'template' && item.key.parts.every((part) => part.kind === 'text')
        ? item.key.parts.map((part) => (part.kind === 'text' ? part.text : '')).join('')
        : undefined;
    if (key === undefined) throw new HclError('a JSON key must be a plain string', item.key.at, source);
    if (!nested && blockTypes.has(key) && item.value.kind === 'object') {
      for (const labelled of item.value.items) {
        const label =
          labelled.key.kind === 'template'
            ? labelled.key.parts.map((part) => (part.kind === 'text' ? part.text : '')).join('')
            : '';
        body.blocks.push({
          type: key,
          labels: [label],
          body: jsonBody(labelled.value, file, source, true),
          at: labelled.key.at,
        });
      }
    } else if (nested && key === 'validation') {
      const items = item.value.kind === 'tuple' ? item.value.items : [item.value];
      for (const block of items)
        body.blocks.push({ type: 'validation', labels: [], body: jsonBody(block, file, source, true), at: block.at });
    } else body.attributes.push({ name: key, expr: item.value, at: item.key.at });
  }
  return body;
}
