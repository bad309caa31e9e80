// The error of a variable expansion that cannot be done (`${V:?msg}`, a missing `}`, a bad pattern);
// the instruction layer turns it into a DockerfileSyntaxError at the instruction.
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';
}
