// `msbuild bake`: several targets from a YAML file (or compose.yaml) built at once over one shared
// scheduler and cache; `--print` shows the resolved configuration, as a bake file, instead. Flags
// shared with `msbuild build` are checked by the same code, before anything is read or run, and
// Ctrl-C works as there: the first cancels every target and cleans up, a second exits at once.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { applySet, BakeError, parseBakeFile, resolveBake } from '../../engine/bake/config.js';
import { printBake } from '../../engine/bake/print.js';
import { runBake } from '../../engine/bake/run.js';
import { networkMode, positiveInteger, progressMode, pullPolicy } from '../options.js';
import { Interrupts } from '../interrupt.js';
import { createRenderer } from '../render/select.js';
import { BakeProgress } from './bake-progress.js';

export interface BakeCommandOptions {
  file?: string;
  set?: string[];
  print?: boolean;
  progress?: string;
  cacheDir?: string;
  jobs?: string;
  network?: string;
  pull?: string | boolean;
  cache?: boolean;
}

const defaultFiles = ['msbuild.yaml', 'msbuild.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export async function bakeCommand(targets: string[], options: BakeCommandOptions): Promise<void> {
  const progress = progressMode(options.progress ?? 'auto');
  const jobs = positiveInteger('--jobs', options.jobs);
  // Given, these override every target's own setting; absent, each target keeps its own.
  const network = options.network !== undefined ? networkMode(options.network) : undefined;
  const pull = options.pull !== undefined ? pullPolicy(options.pull) : undefined;

  const file = options.file ?? defaultFiles.find((name) => existsSync(name));
  if (!file) throw new BakeError(`no bake file: give -f FILE or create one of ${defaultFiles.join(', ')}`);
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BakeError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const bakeFile = parseBakeFile(text, file, dirname(path));
  for (const assignment of options.set ?? []) applySet(bakeFile, assignment);
  const resolved = resolveBake(bakeFile, targets);
  if (options.print) {
    process.stdout.write(printBake(resolved));
    return;
  }

  const renderer = await createRenderer(progress, process.stderr);
  const view = new BakeProgress(renderer, progress, (text) => process.stderr.write(text));
  const interrupts = new Interrupts((signal) =>
    renderer.handle({ type: 'warning', time: Date.now(), message: `${signal}: cancelling every target and removing their containers` }),
  );
  let outcomes: Awaited<ReturnType<typeof runBake>>;
  try {
    outcomes = await runBake(resolved, {
      cacheDir: options.cacheDir,
      ...(jobs !== undefined ? { jobs } : {}),
      ...(network !== undefined ? { network } : {}),
      ...(pull !== undefined ? { pull } : {}),
      noCache: options.cache === false,
      signal: interrupts.signal,
      onEvent: (target, event) => {
        interrupts.observe(event);
        view.handle(target, event);
      },
    });
    view.finish(resolved.map((target) => target.name));
  } finally {
    renderer.close();
    interrupts.dispose();
  }
  if (interrupts.interrupted) {
    process.stderr.write(`${interrupts.cancelledLine('bake')}\n`);
    process.exit(interrupts.exitCode);
  }
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.error) {
      failed++;
      process.stderr.write(`${outcome.target}: failed: ${outcome.error.message}\n`);
    } else {
      process.stdout.write(`${outcome.target} ${outcome.result?.imageId}\n`);
    }
  }
  if (failed > 0) throw new BakeError(`${failed} of ${outcomes.length} targets failed`);
}
