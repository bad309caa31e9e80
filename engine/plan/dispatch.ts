// Walks a stage's instructions in its scope (base config, ARGs, ENV) the way BuildKit's dispatch does:
// expands each instruction, computes the image config after it and what (if anything) must execute.
// Each step's config shares what the steps before made (config-chain.ts): planning is linear in the
// number of steps, whatever they add to the config.
import type { Position } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { ExpansionError } from '../expand/errors.js';
import { expandWord, expandWords, type EscapeToken, type LexOptions } from '../expand/lex.js';
import { goDuration, goList, goQuoteList } from '../go/quote.js';
import { setChained } from '../image/config-chain.js';
import {
  cloneConfig,
  defaultPathEnv,
  envListToMap,
  historyComment,
  withEnv,
  type HistoryEntry,
  type ImageConfig,
} from '../image/config.js';
import type { CommandLine, KeyValue, OptionalKeyValue, StageInstruction } from '../instructions/types.js';
import { type Platform } from './args.js';
import { dispatchCopy } from './dispatch-copy.js';
import { dispatchRun } from './dispatch-run.js';
import { StepLintRecorder } from './lint-facts.js';
import type { NamedContext } from './named-contexts.js';
import { cleanPath, normalizePath } from './paths.js';
import { parsePorts } from './ports.js';
import { isValidSignal } from './signals.js';
import type { CopySource, DispatchedStep } from './step.js';

/** BuildKit marks the history of steps it builds from its own state (RUN, COPY, ADD) with this. */
export const layerStepSuffix = ' # buildkit';

/** What a stage hands on to the stages that build on it. */
export interface DispatchState {
  config: ImageConfig;
  /** Expansion and RUN environment: image env plus ARGs in scope (ENV and ARG both set it). */
  env: Map<string, string>;
  /** ARGs declared in the stage, with the value each got (BuildKit's d.buildArgs). */
  declaredArgs: OptionalKeyValue[];
  workdirSet: boolean;
}

export interface DispatchContext {
  file: string;
  source: string;
  escapeToken: EscapeToken;
  globalArgs: ReadonlyMap<string, string>;
  buildArgs: ReadonlyMap<string, string>;
  platform: Platform;
  /** Resolves `COPY --from` to a stage index or an image. */
  copySourceOf(from: string): CopySource;
  /** `--build-context` NAME → what stands for it (RUN --mount=from names are mapped through it). */
  namedContexts?: ReadonlyMap<string, NamedContext>;
}

/**
 * The config a step leaves, history and layers aside (execution supplies those): keeping the growing
 * history in every step would make plans quadratic in the number of steps.
 */
function withoutHistory(config: ImageConfig): ImageConfig {
  return { ...cloneConfig({ ...config, history: [], rootfs: { type: 'layers', diff_ids: [] } }) };
}

/** Starting state of a stage whose base is an image (external, scratch) with `config`. */
export function initialState(config: ImageConfig): DispatchState {
  const image = cloneConfig(config);
  image.created = undefined;
  // The base's ONBUILD triggers run in this stage (see plan.ts); they are not passed on.
  if (image.config.OnBuild && image.config.OnBuild.length > 0) image.config.OnBuild = null;
  // BuildKit makes sure PATH is always set.
  if (!envListToMap(image.config.Env).has('PATH') && image.os !== 'windows') {
    image.config.Env = withEnv(image.config.Env, 'PATH', defaultPathEnv);
  }
  return { config: image, env: envListToMap(image.config.Env), declaredArgs: [], workdirSet: false };
}

/** Starting state of a stage built `FROM` another stage: its config, args and env carry over; ONBUILD does not. */
export function inheritState(parent: DispatchState): DispatchState {
  const config = cloneConfig(parent.config);
  config.config.OnBuild = null;
  return { config, env: new Map(parent.env), declaredArgs: [...parent.declaredArgs], workdirSet: parent.workdirSet };
}

export interface StageDispatch {
  steps: DispatchedStep[];
  final: DispatchState;
}

/** Dispatches a stage: `triggers` are the ONBUILD instructions of the base, run first. */
export function dispatchStage(
  stage: { name: string; triggers: readonly StageInstruction[]; instructions: readonly StageInstruction[] },
  start: DispatchState,
  context: DispatchContext,
): StageDispatch {
  const { name: stageName, triggers, instructions } = stage;
  const state: DispatchState = {
    config: cloneConfig(start.config),
    env: new Map(start.env),
    declaredArgs: [...start.declaredArgs],
    workdirSet: start.workdirSet,
  };
  let cmdSet = false;
  const steps: DispatchedStep[] = [];
  const all = [
    ...triggers.map((i) => ({ instruction: i, onbuild: true })),
    ...instructions.map((i) => ({ instruction: i, onbuild: false })),
  ];
  for (const { instruction, onbuild } of all) {
    const lint = new StepLintRecorder();
    const step = dispatchInstruction(instruction, state, context, { cmdSet, stageName, lint });
    if (instruction.kind === 'CMD') cmdSet = true;
    const facts = lint.finish(state.declaredArgs);
    steps.push({ ...step, onbuild, configAfter: withoutHistory(state.config), ...(facts ? { lint: facts } : {}) });
  }
  return { steps, final: state };
}

export type StepWithoutConfig = Omit<DispatchedStep, 'configAfter' | 'onbuild'>;

/** What dispatching a RUN, COPY or ADD needs of the stage's walk (dispatch-run.ts, dispatch-copy.ts). */
export interface StepHelpers {
  state: DispatchState;
  context: DispatchContext;
  displayText: string;
  /** Expands a word in the stage's scope (a syntax error at the arguments if it cannot). */
  expand(word: string): string;
  /** Expands with other lexer options; unset variables are noted for build checks. */
  expandWith(word: string, options: LexOptions): string;
  commit(createdBy: string, withLayer: boolean): HistoryEntry;
  fail(message: string, position?: Position): Error;
}

function dispatchInstruction(
  instruction: StageInstruction,
  state: DispatchState,
  context: DispatchContext,
  stage: { cmdSet: boolean; stageName: string; lint: StepLintRecorder },
): StepWithoutConfig {
  const where = { file: context.file, source: context.source };
  const at = instruction.node.range.start;
  const fail = (message: string, position: Position = at) => syntaxErrorAt(where, position, message);
  const expandOrFail = (word: string) => {
    try {
      return expandWord(word, state.env, { escapeToken: context.escapeToken });
    } catch (error) {
      if (error instanceof ExpansionError) throw fail(error.message, instruction.node.argsPosition);
      throw error;
    }
  };
  const expand = (word: string): string => {
    try {
      return stage.lint.note(expandWord(word, state.env, { escapeToken: context.escapeToken }), state.env);
    } catch (error) {
      if (error instanceof ExpansionError) throw fail(error.message, instruction.node.argsPosition);
      throw error;
    }
  };
  const displayText = displayTextOf(instruction, state.env, context.escapeToken);
  const config = state.config;
  const commit = (createdBy: string, withLayer: boolean): HistoryEntry => {
    const entry: HistoryEntry = {
      created_by: createdBy,
      comment: historyComment,
      ...(withLayer ? {} : { empty_layer: true }),
    };
    config.history.push(entry);
    return entry;
  };
  const metadata = (createdBy: string): StepWithoutConfig => ({
    instruction,
    action: { kind: 'config' },
    counted: false,
    displayText,
    history: commit(createdBy, false),
  });

  switch (instruction.kind) {
    case 'ENV': {
      let message = 'ENV';
      // Every pair expands against the environment as it was before the instruction (BuildKit expands
      // the whole command first): `ENV A=changed N=$A` after `ENV A=alpha` gives N=alpha.
      const pairs = expandPairs(instruction.pairs, expand);
      stage.lint.facts.envKeys = pairs.map((pair) => pair.key);
      for (const { key, value } of pairs) {
        message += ` ${key}=${value}`;
        state.env.set(key, value);
        setChained(config.config, 'Env', key, value);
      }
      return metadata(message);
    }
    case 'LABEL': {
      let message = 'LABEL';
      for (const { key, value } of expandPairs(instruction.pairs, expand)) {
        setChained(config.config, 'Labels', key, value);
        message += ` ${key}=${value}`;
      }
      return metadata(message);
    }
    case 'MAINTAINER':
      config.author = instruction.maintainer;
      return metadata(`MAINTAINER ${instruction.maintainer}`);
    case 'ARG': {
      // Unlike ENV, current BuildKit expands each ARG's default after the ones before it took effect
      // (`ARG A=x B=$A` gives B=x; Engine 20.10's frontend expanded them all first).
      const parts: string[] = [];
      for (const arg of instruction.args) {
        const key = arg.key;
        let value: string | undefined;
        const override = context.buildArgs.get(key);
        if (override !== undefined) value = override;
        else if (arg.value !== undefined) {
          const expanded = expandOrFail(arg.value);
          value = stage.lint.noteArg(expanded, state.env, state.declaredArgs);
        } else value = context.globalArgs.get(key);
        if (value !== undefined) state.env.set(key, value);
        state.declaredArgs.push({ key, value });
        parts.push(value === undefined ? key : `${key}=${value}`);
      }
      return metadata(`ARG ${parts.join(' ')}`);
    }
    case 'WORKDIR': {
      const written = expand(instruction.path);
      if (!state.workdirSet && !written.startsWith('/')) stage.lint.facts.relativeWorkdir = written;
      const path = normalizePath(config.config.WorkingDir ?? '', written, false);
      config.config.WorkingDir = path;
      state.workdirSet = true;
      const withLayer = path !== '/';
      return {
        instruction,
        // The config keeps the path as written; the directory made is the cleaned one, as BuildKit's
        // mkdir cleans it (`/abs/./x/../y/` creates /abs/y, not /abs/x).
        action: withLayer
          ? { kind: 'workdir', path: cleanPath(path), user: config.config.User ?? '' }
          : { kind: 'config' },
        counted: true,
        displayText,
        history: commit(`WORKDIR ${path}`, withLayer),
      };
    }
    case 'USER': {
      const user = expand(instruction.user);
      config.config.User = user;
      return metadata(`USER ${user}`);
    }
    case 'EXPOSE': {
      const words: string[] = [];
      for (const port of instruction.ports) {
        try {
          words.push(...expandWords(port, state.env, { escapeToken: context.escapeToken }));
        } catch (error) {
          if (error instanceof ExpansionError) throw fail(error.message, instruction.node.argsPosition);
          throw error;
        }
      }
      stage.lint.facts.exposePorts = words;
      let ports: string[];
      try {
        ports = parsePorts(words);
      } catch (error) {
        throw fail((error as Error).message, instruction.node.argsPosition);
      }
      for (const port of ports) setChained(config.config, 'ExposedPorts', port);
      return metadata(`EXPOSE ${goList(ports)}`);
    }
    case 'VOLUME': {
      const volumes = instruction.volumes.map(expand);
      if (volumes.some((volume) => volume === '')) throw fail('VOLUME specified can not be an empty string');
      for (const volume of volumes) setChained(config.config, 'Volumes', volume);
      return metadata(`VOLUME ${goList(volumes)}`);
    }
    case 'STOPSIGNAL': {
      const signal = expand(instruction.signal);
      if (!isValidSignal(signal)) throw fail(`Invalid signal: ${signal}`, instruction.node.argsPosition);
      config.config.StopSignal = signal;
      return metadata(`STOPSIGNAL ${signal}`);
    }
    case 'SHELL':
      config.config.Shell = [...instruction.shell];
      return metadata(`SHELL ${goList(instruction.shell)}`);
    case 'CMD': {
      const args = withShellIfNeeded(config, instruction.command);
      config.config.Cmd = args;
      config.config.ArgsEscaped = true;
      return metadata(`CMD ${goQuoteList(args)}`);
    }
    case 'ENTRYPOINT': {
      const args = withShellIfNeeded(config, instruction.command);
      config.config.Entrypoint = args;
      if (!stage.cmdSet) config.config.Cmd = null;
      return metadata(`ENTRYPOINT ${goQuoteList(args)}`);
    }
    case 'HEALTHCHECK': {
      const health = instruction.health;
      config.config.Healthcheck = {
        Test: [...health.test],
        ...(health.interval ? { Interval: health.interval } : {}),
        ...(health.timeout ? { Timeout: health.timeout } : {}),
        ...(health.startPeriod ? { StartPeriod: health.startPeriod } : {}),
        ...(health.startInterval ? { StartInterval: health.startInterval } : {}),
        ...(health.retries ? { Retries: health.retries } : {}),
      };
      const text =
        `{Test:${goList(health.test)} Interval:${goDuration(health.interval)} Timeout:${goDuration(health.timeout)} ` +
        `StartPeriod:${goDuration(health.startPeriod)} StartInterval:${goDuration(health.startInterval)} Retries:${health.retries}}`;
      return metadata(`HEALTHCHECK ${text}`);
    }
    case 'ONBUILD':
      config.config.OnBuild = [...(config.config.OnBuild ?? []), instruction.expression];
      return {
        instruction,
        action: { kind: 'config' },
        counted: false,
        displayText,
        history: { created_by: '', empty_layer: true },
      };
    case 'RUN':
    case 'COPY':
    case 'ADD': {
      const helpers: StepHelpers = {
        state,
        context,
        displayText,
        expand,
        expandWith: (word, options) =>
          stage.lint.note(expandWord(word, state.env, { escapeToken: context.escapeToken, ...options }), state.env),
        commit,
        fail,
      };
      return instruction.kind === 'RUN' ? dispatchRun(instruction, helpers) : dispatchCopy(instruction, helpers);
    }
  }
}

/** Keys and values of every pair expanded before any takes effect. */
function expandPairs(pairs: readonly KeyValue[], expand: (word: string) => string): KeyValue[] {
  return pairs.map((pair) => ({ ...pair, key: expand(pair.key), value: expand(pair.value) }));
}

export function withShellIfNeeded(config: ImageConfig, command: CommandLine): string[] {
  if (!command.prependShell) return [...command.args];
  const shell = config.config.Shell && config.config.Shell.length > 0 ? config.config.Shell : ['/bin/sh', '-c'];
  return [...shell, command.args.join(' ')];
}

/** The instruction as progress shows it: variables expanded where possible, keyword upper-cased. */
function displayTextOf(
  instruction: StageInstruction,
  env: ReadonlyMap<string, string>,
  escapeToken: EscapeToken,
): string {
  const text = instruction.text;
  let shown = text;
  try {
    shown = expandWord(text, env, { escapeToken, rawQuotes: true, skipUnsetEnv: true }).value;
  } catch {
    shown = text;
  }
  const space = shown.search(/\s/);
  return space < 0 ? shown.toUpperCase() : shown.slice(0, space).toUpperCase() + shown.slice(space);
}
