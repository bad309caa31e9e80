// The error of a variable expansion that cannot be done (`${V:?msg}`, a missing `}`, a bad pattern);
// the instruction layer turns it into a DockerfileSyntaxError at the instruction.
import { MsbuildError } from '../errors.js';
export class ExpansionError extends MsbuildError {
  override readonly name = 'ExpansionError';
  override readonly code: string = 'MSBUILD_EXPANSION';
}

/**
 * An expansion msbuild refuses although BuildKit would try it: `${...}` nested deeper than a JavaScript
 * stack goes, or a value that grows past maxExpandedLength (`ENV B=$A$A`, `ENV C=$B$B`, ... doubles).
 */
export class ExpansionLimitError extends ExpansionError {
  override readonly code = 'MSBUILD_EXPANSION_LIMIT';
}
