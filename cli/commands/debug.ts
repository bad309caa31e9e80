// `msbuild debug ast`: the parse tree in BuildKit's dump format, to compare the parser with BuildKit's.
import { dumpAst } from '../../engine/dockerfile/dump.js';
import { parseDockerfile } from '../../engine/dockerfile/parser.js';
import { readDockerfile } from '../options.js';

export function debugAstCommand(options: { file?: string; context?: string }): void {
  const dockerfile = readDockerfile(options.context ?? '.', options.file);
  const ast = parseDockerfile(dockerfile.text, { file: dockerfile.name });
  process.stdout.write(dumpAst(ast));
}
