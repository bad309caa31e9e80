#!/usr/bin/env node
// The msbuild command line: argument parsing and dispatch to commands; user errors printed once, no stack.
import './warnings.js';
import { Command, CommanderError } from 'commander';
import { collect, separatePullFlag } from './options.js';
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
  .option('--pull [policy]', 'pull base images: always (the flag alone, or true), missing (default, or false) or never')
  .option('--no-cache', 'do not use the cache')
  .option('--no-cache-filter <stages>', 'do not use the cache for these stages (comma separated)')
  .option('--cache-dir <dir>', 'cache index directory (default: $XDG_CACHE_HOME/msbuild)')
  .option('--cache-from <spec>', 'import a shared cache first: type=local,src=DIR (repeatable)', collect)
  .option('--cache-to <spec>', 'export the cache this build used: type=local,dest=DIR')
  .option('-j, --jobs <n>', 'steps run at once')
  .option('--platform <platform>', 'target platform (os/arch[/variant])')
  .option('--progress <mode>', 'auto, tty, plain, json or quiet', 'auto')
  .option('--secret <spec>', 'secret for RUN --mount=type=secret: id=x,src=FILE or id=x,env=VAR (repeatable)', collect)
  .option('--memory <size>', 'memory limit for RUN containers (e.g. 512m)')
  .option('--cpu-quota <n>', 'CPU quota for RUN containers')
  .option('--cpu-period <n>', 'CPU period for RUN containers')
  .option('--cpu-shares <n>', 'CPU shares for RUN containers')
  .option('-o, --output <spec>', 'also write the image: type=local|tar|oci|docker-archive,dest=PATH (repeatable)', collect)
  .option('--metadata-file <file>', 'write the image ID, tags and digest as JSON')
  .option('--trace <file>', 'write a Chrome trace-event file of the build (open in Perfetto or chrome://tracing)')
  .option('--timeline <file>', 'draw the build as a Gantt chart: FILE.svg or FILE.html')
  .option('-q, --quiet', 'print only the image ID')
  .action(async (context: string, options) => {
    const { buildCommand } = await import('./commands/build.js');
    await buildCommand(context, options);
  });

program
  .command('bake')
  .description('build several targets from msbuild.yaml (or compose.yaml) at once, sharing work and cache')
  .argument('[targets...]', 'targets or groups (default: the default group)')
  .option('-f, --file <path>', 'bake file (default: msbuild.yaml, then compose.yaml)')
  .option('--set <target.key=value>', 'override a target setting, e.g. api.args.VERSION=2 or *.platform=linux/amd64 (repeatable)', collect)
  .option('--print', 'print the resolved configuration and exit')
  .option('--progress <mode>', 'auto, tty, plain, json or quiet', 'auto')
  .option('--cache-dir <dir>', 'cache index directory')
  .option('-j, --jobs <n>', 'steps run at once, over all targets')
  .option('--network <mode>', 'network for RUN in every target: default, none or host')
  .option('--pull [policy]', "every target's base images: always (the flag alone, or true), missing (or false) or never (default: each target's pull, else missing)")
  .option('--no-cache', 'do not use the cache')
  .action(async (targets: string[], options) => {
    const { bakeCommand } = await import('./commands/bake.js');
    await bakeCommand(targets, options);
  });

const cache = program.command('cache').description('inspect, explain, trim and share the step cache');
cache.option('--cache-dir <dir>', 'cache index directory (default: $XDG_CACHE_HOME/msbuild)');
const cacheDir = () => cache.opts<{ cacheDir?: string }>().cacheDir;
cache
  .command('ls')
  .description('list cache entries: step, stage, size, last use')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => {
    const { cacheLsCommand } = await import('./commands/cache.js');
    await cacheLsCommand({ ...options, cacheDir: cacheDir() });
  });
cache
  .command('du')
  .description('how much the cache holds')
  .action(async () => {
    const { cacheDuCommand } = await import('./commands/cache.js');
    await cacheDuCommand({ cacheDir: cacheDir() });
  });
cache
  .command('prune')
  .description('remove cache entries (and their images)')
  .option('--keep-storage <size>', 'keep at most this much (least recently used go first), e.g. 5GB')
  .option('--filter <filter>', 'until=DURATION: remove entries unused for longer (e.g. until=24h)', collect)
  .option('-a, --all', 'remove everything')
  .action(async (options: { keepStorage?: string; filter?: string[]; all?: boolean }) => {
    const { cachePruneCommand } = await import('./commands/cache.js');
    await cachePruneCommand({ ...options, cacheDir: cacheDir() });
  });
cache
  .command('explain')
  .description('say which steps of a build would run and what changed since they last ran')
  .argument('[context]', 'build context directory', '.')
  .option('-f, --file <path>', 'Dockerfile (default: CONTEXT/Dockerfile)')
  .option('--target <stage>', 'build this stage and what it needs')
  .option('--build-arg <key=value>', 'set a build argument (repeatable)', collect)
  .option('--platform <platform>', 'target platform')
  .action(async (context: string, options) => {
    const { cacheExplainCommand } = await import('./commands/cache.js');
    await cacheExplainCommand(context, { ...options, cacheDir: cacheDir() });
  });
cache
  .command('export')
  .description('write the cache to a directory another machine can import (layers stored once)')
  .requiredOption('--dest <dir>', 'directory to write')
  .action(async (options: { dest: string }) => {
    const { cacheExportCommand } = await import('./commands/cache.js');
    await cacheExportCommand({ ...options, cacheDir: cacheDir() });
  });
cache
  .command('import')
  .description('add the entries of an exported cache directory to this cache')
  .requiredOption('--src <dir>', 'directory written by cache export or --cache-to')
  .action(async (options: { src: string }) => {
    const { cacheImportCommand } = await import('./commands/cache.js');
    await cacheImportCommand({ ...options, cacheDir: cacheDir() });
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

// A function, not a top-level await: that would keep this module out of the CommonJS bundle.
async function main(): Promise<void> {
  try {
    await program.parseAsync(separatePullFlag(process.argv));
    settled = true;
  } catch (error) {
    settled = true;
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (isUserError(error)) {
      process.stderr.write(`${formatUserError(error)}\n`);
      process.exit(1);
    }
    throw error;
  }
}

void main();
