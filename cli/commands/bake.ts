// `msbuild bake`: several targets from a YAML file (or compose.yaml) built at once over one shared
// scheduler and cache; `--print` shows the resolved configuration instead.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { applySet, BakeError, parseBakeFile, resolveBake } from '../../engine/bake/config.js';
import { runBake } from '../../engine/bake/run.js';
import type { BuildEvent } from '../../engine/events.js';
import { PlainRenderer } from '../render/plain.js';

export interface BakeCommandOptions {
  file?: string;
  set?: string[];
  print?: boolean;
  progress?: string;
  cacheDir?: string;
  jobs?: string;
  network?: string;
  pull?: string;
  cache?: boolean;
}

const defaultFiles = ['msbuild.yaml', 'msbuild.yml', 'compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** Events of one target with its name in front of stage names and step IDs, for one shared renderer. */
function scoped(target: string, event: BuildEvent): BuildEvent {
  const step = (ref: { id: string; stage: string }) => ({ ...ref, id: `${target}:${ref.id}`, stage: `${target} ${ref.stage}` });
  switch (event.type) {
    case 'step-start':
    case 'step-cached':
      return { ...event, step: { ...event.step, ...step(event.step) } };
    case 'step-log':
    case 'step-done':
    case 'step-error':
    case 'cache-miss':
      return { ...event, stepId: `${target}:${event.stepId}` };
    case 'build-start':
      return { ...event, target: `${target} (${event.target})` };
    default:
      return event;
  }
}

export async function bakeCommand(targets: string[], options: BakeCommandOptions): Promise<void> {
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
    process.stdout.write(yaml.dump({ targets: Object.fromEntries(resolved.map(({ name, ...rest }) => [name, rest])) }, { noRefs: true }));
    return;
  }
  const renderer = options.progress === 'quiet' ? undefined : new PlainRenderer({ write: (text) => process.stderr.write(text) });
  const network = options.network as 'default' | 'none' | 'host' | undefined;
  const outcomes = await runBake(resolved, {
    cacheDir: options.cacheDir,
    ...(options.jobs !== undefined ? { jobs: Number(options.jobs) } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(options.pull !== undefined ? { pull: options.pull as 'always' | 'missing' | 'never' } : {}),
    noCache: options.cache === false,
    onEvent: (target, event) => renderer?.handle(scoped(target, event)),
  });
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
