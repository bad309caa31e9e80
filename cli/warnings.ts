// Node warnings the command line does not pass on. docker-modem builds an `ssh:host:port` URL for
// every request to an ssh:// DOCKER_HOST and resolves paths against it, which Node reports as
// DEP0170 (an invalid URL): two lines a user can do nothing about, printed before the real answer.
// Every other warning is printed as Node prints it.
const emitWarning = process.emitWarning.bind(process);

function codeOf(rest: unknown[]): unknown {
  const [first, second] = rest;
  if (typeof first === 'object' && first !== null) return (first as { code?: unknown }).code;
  return second;
}

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const code = typeof warning === 'string' ? codeOf(rest) : ((warning as NodeJS.ErrnoException).code ?? codeOf(rest));
  if (code === 'DEP0170' && /^The URL ssh:/.test(text)) return;
  (emitWarning as (warning: string | Error, ...rest: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
