// The parse tree in BuildKit's dump format (parser.Node.Dump of the root): one `(...)` per instruction,
// so msbuild's parser can be compared with BuildKit's line by line.
import type { DockerfileAst, InstructionNode } from './ast.js';
import { goQuote, goQuoteList } from './go-quote.js';

/** One instruction as BuildKit's Node.Dump prints it (without the surrounding parentheses). */
export function dumpNode(node: InstructionNode): string {
  let out = node.keywordText.toLowerCase();
  if (node.flags.length > 0) out += ` ${goQuoteList(node.flags.map((flag) => flag.text))}`;
  if (node.child) {
    // BuildKit keeps the trigger as a child of an empty node: it prints as `(trigger ...)`.
    out += ` (${dumpNode(node.child)})`;
  } else {
    for (const arg of node.args) out += ` ${goQuote(arg)}`;
  }
  return out.trim();
}

/** The whole tree: `(from "busybox")` lines, as `msbuild debug ast` prints them. */
export function dumpAst(ast: DockerfileAst): string {
  return ast.instructions.map((node) => `(${dumpNode(node)})\n`).join('');
}
