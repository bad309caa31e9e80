#!/usr/bin/env node
// The msbuild command line: argument parsing and dispatch to commands; user errors printed once, no stack.
import { Command, CommanderError } from 'commander';
import { collect } from './options.js';
import { formatUserError, isUserError } from './user-error.js';

const program = new Command();
program
  .name('msbuild')
  .description('Multi-stage container image builder: BuildKit-style builds on a Docker daemon')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('plan')
  .description('print the stage graph, steps and parallel levels of a build (no Docker needed)')
  .argument('[context]', 'build context directory', '.')
  .option('-f, --file <path>', 'Dockerfile (default: CONTEXT/Dockerfile)')
  .option('--target <stage>', 'build this stage and what it needs')
  .option('--build-arg <key=value>', 'set a build argument (repeatable)', collect)
  .option('--platform <platform>', 'target platform (os/arch[/variant])')
  .option('--format <format>', 'text, json, dot or mermaid', 'text')
  .action(async (context: string, options) => {
    const { planCommand } = await import('./commands/plan.js');
    await planCommand(context, options);
  });

program
  .command('build')
  .description('build an image from a Dockerfile, like `docker build`')
  .argument('[context]', 'build context directory', '.')
  .option('-t, --tag <name>', 'tag the image (repeatable)', collect)
  .option('-f, --file <path>', 'Dockerfile (default: CONTEXT/Dockerfile)')
  .option('--target <stage>', 'build this stage and what it needs')
  .option('--build-arg <key=value>', 'set a build argument (repeatable)', collect)
  .option('--label <key=value>', 'add a label to the image (repeatable)', collect)
  .option('--iidfile <file>', 'write the image ID to a file')
  .option('--network <mode>', 'network for RUN: default, none or host')
  .option('--pull [policy]', 'pull base images: always (the flag alone), missing (default) or never')
  .option('--no-cache', 'do not use the cache')
  .option('--no-cache-filter <stages>', 'do not use the cache for these stages (comma separated)')
  .option('--cache-dir <dir>', 'cache index directory (default: $XDG_CACHE_HOME/msbuild)')
  .option('-j, --jobs <n>', 'steps run at once')
  .option('--platform <platform>', 'target platform (os/arch[/variant])')
  .option('--progress <mode>', 'auto, tty, plain, json or quiet', 'auto')
  .option('--secret <spec>', 'secret for RUN --mount=type=secret: id=x,src=FILE or id=x,env=VAR (repeatable)', collect)
  .option('--memory <size>', 'memory limit for RUN containers (e.g. 512m)')
  .option('--cpu-quota <n>', 'CPU quota for RUN containers')
  .option('--cpu-period <n>', 'CPU period for RUN containers')
  .option('--cpu-shares <n>', 'CPU shares for RUN containers')
  .option('-q, --quiet', 'print only the image ID')
  .action(async (context: string, options) => {
    const { buildCommand } = await import('./commands/build.js');
    await buildCommand(context, options);
  });

const debug = program.command('debug').description('tools for looking inside msbuild');
debug
  .command('ast')
  .description("print the Dockerfile's parse tree in BuildKit's dump format")
  .argument('[context]', 'build context directory', '.')
  .option('-f, --file <path>', 'Dockerfile (default: CONTEXT/Dockerfile)')
  .action(async (context: string, options: { file?: string }) => {
    const { debugAstCommand } = await import('./commands/debug.js');
    debugAstCommand({ file: options.file, context });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (isUserError(error)) {
    process.stderr.write(`${formatUserError(error)}\n`);
    process.exit(1);
  }
  throw error;
}
