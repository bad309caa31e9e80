// Runs the compiled msbuild CLI as a separate process, as users and CI run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from './docker.js';

/** The `msbuild` bin: the launcher, which runs the bundle `make build` made (or main.js without one). */
export const cliPath = fileURLToPath(new URL('../../cli/launcher.cjs', import.meta.url));

export function msbuild(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string | Buffer } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [cliPath, ...args], options);
}

/** Starts the CLI without waiting, with its output collected as it comes. */
/** Builds started and not yet exited: a test that fails before it stops one leaves it to this. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  // SIGTERM: msbuild removes what it made (its RUN, containers, temp dirs) and exits 143.
  for (const child of running) child.kill('SIGTERM');
});

export function startMsbuild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.add(child);
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? 128 : null));
    }),
  );
  return { child, output: () => output, exit };
}
