#!/usr/bin/env node
// The msbuild command line: the commands and their arguments, each command's options taken from the
// one option table (cli/option-table.ts), and dispatch; user errors printed once, no stack, and an
// unknown flag named in one line (`See 'msbuild build --help'.`, exit 125, as docker), not the whole help.
import { Command, CommanderError } from 'commander';
import './closed-output.js';
import { applyDockerContext } from './docker-context.js';
import { checkFlagSupport } from './flag-support.js';
import { annotateError } from './github-annotations.js';
import { addTableOptions, normalizeArgv, parseGoBool, type OptionValues } from './option-parsing.js';
import { formatUserError, isUserError } from './user-error.js';
import { packageVersion } from './version.js';
import './warnings.js';

const program = new Command();
program
  .name('msbuild')
  .description('Multi-stage container image builder: BuildKit-style builds on a Docker daemon')
  .version(packageVersion(), '-v, --version')
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => write(text.replace(/^error: unknown option/, 'error: unknown flag')),
  });

/** Commander's `this.opts()` typed as the table's values. */
const values = (command: Command) => command.opts<OptionValues>();

addTableOptions(
  program
    .command('plan')
    .description('print the stage graph, steps and parallel levels of a build (no Docker needed)')
    .argument('[context]', 'build context directory', '.'),
  'plan',
).action(async (context: string, _options, command: Command) => {
  const { planCommand } = await import('./commands/plan.js');
  checkFlagSupport(values(command), 'plan');
  await planCommand(context, values(command));
});

addTableOptions(
  program
    .command('build')
    .description('build an image from a Dockerfile, like `docker build`')
    .argument('[context]', 'build context: a directory, or - for a tar (or a Dockerfile) on stdin', '.'),
  'build',
).action(async (context: string, _options, command: Command) => {
  if (parseGoBool('--check', values(command).check)) {
    const { checkCommand } = await import('./commands/check.js');
    return checkCommand(context, values(command));
  }
  const { buildCommand } = await import('./commands/build.js');
  await buildCommand(context, values(command));
});

addTableOptions(
  program
    .command('check')
    .description("run BuildKit's build checks on a Dockerfile without building (exit 1 on a warning)")
    .argument('[context]', 'build context directory', '.'),
  'check',
).action(async (context: string, _options, command: Command) => {
  const { checkCommand } = await import('./commands/check.js');
  checkFlagSupport(values(command), 'check');
  await checkCommand(context, values(command));
});

addTableOptions(
  program
    .command('bake')
    .description('build several targets from a bake file (HCL, JSON or compose) at once, sharing work and cache')
    .argument('[targets...]', 'targets or groups (default: the default group)'),
  'bake',
).action(async (targets: string[], _options, command: Command) => {
  const { bakeCommand } = await import('./commands/bake.js');
  await bakeCommand(targets, values(command));
});

const cache = addTableOptions(
  program.command('cache').description('inspect, explain, trim and share the step cache'),
  'cache',
);
const cacheDir = () => values(cache).cacheDir;
addTableOptions(cache.command('ls').description('list cache entries: step, stage, size, last use'), 'cache-ls').action(
  async (_options, command: Command) => {
    const { cacheLsCommand } = await import('./commands/cache.js');
    await cacheLsCommand({ json: parseGoBool('--json', values(command).json), cacheDir: cacheDir() });
  },
);
cache
  .command('du')
  .description('how much the cache holds')
  .action(async () => {
    const { cacheDuCommand } = await import('./commands/cache.js');
    await cacheDuCommand({ cacheDir: cacheDir() });
  });
addTableOptions(cache.command('prune').description('remove cache entries (and their images)'), 'cache-prune').action(
  async (_options, command: Command) => {
    const { cachePruneCommand } = await import('./commands/cache.js');
    const { keepStorage, filter, all } = values(command);
    await cachePruneCommand({ keepStorage, filter, all: parseGoBool('--all', all), cacheDir: cacheDir() });
  },
);
addTableOptions(
  cache
    .command('explain')
    .description('say which steps of a build would run and what changed since they last ran')
    .argument('[context]', 'build context directory', '.'),
  'explain',
).action(async (context: string, _options, command: Command) => {
  const { cacheExplainCommand } = await import('./commands/cache.js');
  await cacheExplainCommand(context, { ...values(command), cacheDir: cacheDir() });
});
addTableOptions(
  cache.command('export').description('write the cache to a directory another machine can import (layers stored once)'),
  'cache-export',
).action(async (_options, command: Command) => {
  const { cacheExportCommand } = await import('./commands/cache.js');
  const { dest, mounts } = values(command);
  await cacheExportCommand({ dest, mounts: parseGoBool('--mounts', mounts) ?? false, cacheDir: cacheDir() });
});
addTableOptions(
  cache.command('import').description('add the entries of an exported cache directory to this cache'),
  'cache-import',
).action(async (_options, command: Command) => {
  const { cacheImportCommand } = await import('./commands/cache.js');
  const { src, mounts } = values(command);
  await cacheImportCommand({ src, mounts: parseGoBool('--mounts', mounts) ?? false, cacheDir: cacheDir() });
});

const debug = program.command('debug').description('tools for looking inside msbuild');
addTableOptions(
  debug
    .command('ast')
    .description("print the Dockerfile's parse tree in BuildKit's dump format")
    .argument('[context]', 'build context directory', '.'),
  'debug-ast',
).action(async (context: string, _options, command: Command) => {
  const { debugAstCommand } = await import('./commands/debug.js');
  debugAstCommand({ file: values(command).dockerfile, context });
});

program
  .command('completion')
  .description('print a shell completion script: bash, zsh or fish (e.g. source <(msbuild completion bash))')
  .argument('<shell>', 'bash, zsh or fish')
  .action(async (shell: string) => {
    const { completionScript } = await import('./completion.js');
    process.stdout.write(completionScript(shell, program));
  });

// A last resort: daemon calls reject when their connection drops (so builds clean up and say so),
// but should one ever be left waiting with nothing else to run, the command would end silently:
// say what happened instead.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  void import('../engine/docker/daemon.js').then(({ connectionLostMessage }) => {
    process.stderr.write(`error: ${connectionLostMessage('the command was left waiting for an answer')}\n`);
    process.exit(1);
  });
});

/** `-D`/`--debug` anywhere on the command line: unexpected errors print their stack. */
function debugging(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '-D' || arg === '--debug' || arg === '--debug=true' || arg === '-D=true');
}

/** The command a usage error is about, for "See 'msbuild build --help'". */
function commandPath(argv: readonly string[]): string {
  const words = ['msbuild'];
  let current: Command = program;
  for (const arg of argv.slice(2)) {
    const next = current.commands.find((command) => command.name() === arg);
    if (!next) break;
    words.push(arg);
    current = next;
  }
  return words.join(' ');
}

// A function, not a top-level await: that would keep this module out of the CommonJS bundle.
async function main(): Promise<void> {
  const argv = normalizeArgv(process.argv);
  try {
    // Only the commands that talk to a daemon read the docker context (help works whatever it says).
    if (['build', 'bake', 'cache'].includes(argv[2] ?? '') && !argv.includes('--help')) applyDockerContext();
    await program.parseAsync(argv);
    settled = true;
  } catch (error) {
    settled = true;
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      if (error.exitCode === 0) process.exit(0);
      process.stderr.write(`See '${commandPath(argv)} --help'.\n`);
      process.exit(125);
    }
    annotateError(error);
    if (isUserError(error)) {
      process.stderr.write(`${formatUserError(error)}\n`);
      process.exit(1);
    }
    // msbuild's own bug: one line, and the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      debugging(argv) && error instanceof Error
        ? `error: ${error.stack ?? message}\n`
        : `error: ${message} (run with -D for the stack)\n`,
    );
    process.exit(1);
  }
}

void main();
