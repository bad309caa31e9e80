// The parse tree in BuildKit's format (parser.Node.Dump): one `(...)` per instruction, flags as a Go
// %q list, arguments Go-quoted, ONBUILD's trigger nested; heredoc bodies are not part of it.
import { goQuote, goQuoteList } from '../go/quote.js';
import { goToLower, goTrimSpace } from '../go/strings.js';
import type { DockerfileAst, InstructionNode } from './ast.js';

/** One instruction as Node.Dump prints it, without the parentheses the root puts around it. */
export function dumpNode(node: InstructionNode): string {
  let out = goToLower(node.keywordText);
  if (node.flags.length > 0) out += ` ${goQuoteList(node.flags.map((flag) => flag.text))}`;
  // ONBUILD's next node holds the trigger as its only child, which dumps as `(trigger ...)`.
  if (node.child) out += ` (${dumpNode(node.child)})`;
  else for (const arg of node.args) out += ` ${goQuote(arg)}`;
  return goTrimSpace(out).text;
}

/** Exactly the root's Node.Dump(): instruction lines joined by newlines, no newline at the end. */
export function dumpRoot(ast: DockerfileAst): string {
  return goTrimSpace(ast.instructions.map((node) => `(${dumpNode(node)})\n`).join('')).text;
}

/** What BuildKit's dumper prints (`fmt.Println(root.Dump())`): every line ends with a newline; empty for no instructions. */
export function dumpAst(ast: DockerfileAst): string {
  return ast.instructions.length === 0 ? '' : `${dumpRoot(ast)}\n`;
}
