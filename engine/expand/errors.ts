// The error of a variable expansion that cannot be done (`${V:?msg}`, a missing `}`, a bad pattern);
// the instruction layer turns it into a DockerfileSyntaxError at the instruction.
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';
}

/**
 * An expansion msbuild refuses although BuildKit would try it: `${...}` nested deeper than a JavaScript
 * stack goes, or a value that grows past maxExpandedLength (`ENV B=$A$A`, `ENV C=$B$B`, ... doubles).
 */
export class ExpansionLimitError extends ExpansionError {}
