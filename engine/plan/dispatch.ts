// Walks a stage's instructions in its scope (base config, ARGs, ENV) the way BuildKit's dispatch does:
// expands each instruction, computes the image config after it and what (if anything) must execute.
import type { Position } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { goDuration, goList, goQuoteList } from '../dockerfile/go-quote.js';
import { isProxyArg, type Platform } from '../expand/args.js';
import { ExpansionError } from '../expand/errors.js';
import { expandWord, expandWords, type EscapeToken } from '../expand/lex.js';
import { parseRunMount, RunMountError } from '../instructions/run-mount.js';
import type {
  CommandLine,
  InlineSource,
  NetworkMode,
  OptionalKeyValue,
  RunMount,
  StageInstruction,
} from '../instructions/types.js';
import {
  cloneConfig,
  envListToMap,
  historyComment,
  defaultPathEnv,
  withEnv,
  type HistoryEntry,
  type ImageConfig,
} from '../image/config.js';
import { normalizePath } from './paths.js';
import { parsePorts } from './ports.js';
import { isValidSignal } from './signals.js';

/** BuildKit marks the history of steps it builds from its own state (RUN, COPY, ADD) with this. */
const layerStepSuffix = ' # buildkit';

/** Where COPY/ADD reads from. */
export type CopySource = { kind: 'context' } | { kind: 'stage'; stage: number } | { kind: 'image'; ref: string };

export interface RunAction {
  kind: 'run';
  /** The argv the container runs (shell prepended for shell form). */
  argv: string[];
  /** Environment: image env plus ARGs in scope, plus proxy build args. */
  env: string[];
  user: string;
  workdir: string;
  network: NetworkMode;
  security: 'sandbox' | 'insecure';
  mounts: RunMount[];
  /** A heredoc with a shebang runs as a script file (BuildKit mounts it at /dev/pipes/NAME). */
  script?: { name: string; data: string };
  /** ARGs visible to the step (names and values), part of its cache key. */
  args: Array<[string, string]>;
}

export interface CopyAction {
  kind: 'copy';
  add: boolean;
  source: CopySource;
  /** Source paths as expanded (relative to the context or the source stage's root). */
  sources: string[];
  inline: InlineSource[];
  /** Absolute destination; ends with `/` when it names a directory. */
  dest: string;
  chown: string;
  chmod: string;
  excludes: string[];
  parents: boolean;
  link: boolean;
  unpack: boolean;
  checksum: string;
  /** The user the stage runs as: ADD/COPY ownership defaults to root regardless, but --chown names resolve in its image. */
  user: string;
}

export interface WorkdirAction {
  kind: 'workdir';
  path: string;
  /** BuildKit creates the directory as the current USER. */
  user: string;
}

export type StepAction = { kind: 'config' } | RunAction | CopyAction | WorkdirAction;

export interface DispatchedStep {
  instruction: StageInstruction;
  /** Came from an ONBUILD trigger of the base. */
  onbuild: boolean;
  action: StepAction;
  /** Counted in `[stage i/n]` progress numbering (BuildKit counts RUN, COPY, ADD, WORKDIR). */
  counted: boolean;
  /** Text for progress: the instruction with its variables expanded, keyword upper-cased. */
  displayText: string;
  /** History entry without its timestamp (set when the step runs). */
  history: HistoryEntry;
  /** The image config after this step; history and rootfs are left empty (they come from execution). */
  configAfter: ImageConfig;
}

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
  stageName: string,
  triggers: readonly StageInstruction[],
  instructions: readonly StageInstruction[],
  start: DispatchState,
  context: DispatchContext,
): StageDispatch {
  const state: DispatchState = {
    config: cloneConfig(start.config),
    env: new Map(start.env),
    declaredArgs: [...start.declaredArgs],
    workdirSet: start.workdirSet,
  };
  let cmdSet = false;
  const steps: DispatchedStep[] = [];
  const all = [...triggers.map((i) => ({ instruction: i, onbuild: true })), ...instructions.map((i) => ({ instruction: i, onbuild: false }))];
  for (const { instruction, onbuild } of all) {
    const step = dispatchInstruction(instruction, state, context, { cmdSet, stageName });
    if (instruction.kind === 'CMD') cmdSet = true;
    steps.push({ ...step, onbuild, configAfter: withoutHistory(state.config) });
  }
  return { steps, final: state };
}

type StepWithoutConfig = Omit<DispatchedStep, 'configAfter' | 'onbuild'>;

function dispatchInstruction(
  instruction: StageInstruction,
  state: DispatchState,
  context: DispatchContext,
  stage: { cmdSet: boolean; stageName: string },
): StepWithoutConfig {
  const where = { file: context.file, source: context.source };
  const at = instruction.node.range.start;
  const fail = (message: string, position: Position = at) => syntaxErrorAt(where, position, message);
  const expand = (word: string): string => {
    try {
      return expandWord(word, state.env, { escapeToken: context.escapeToken }).value;
    } catch (error) {
      if (error instanceof ExpansionError) throw fail(error.message, instruction.node.argsPosition);
      throw error;
    }
  };
  const displayText = displayTextOf(instruction, state.env, context.escapeToken);
  const config = state.config;
  const commit = (createdBy: string, withLayer: boolean): HistoryEntry => {
    const entry: HistoryEntry = { created_by: createdBy, comment: historyComment, ...(withLayer ? {} : { empty_layer: true }) };
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
      for (const pair of instruction.pairs) {
        const key = expand(pair.key);
        const value = expand(pair.value);
        message += ` ${key}=${value}`;
        state.env.set(key, value);
        config.config.Env = withEnv(config.config.Env, key, value);
      }
      return metadata(message);
    }
    case 'LABEL': {
      let message = 'LABEL';
      const labels = { ...(config.config.Labels ?? {}) };
      for (const pair of instruction.pairs) {
        const key = expand(pair.key);
        const value = expand(pair.value);
        labels[key] = value;
        message += ` ${key}=${value}`;
      }
      config.config.Labels = labels;
      return metadata(message);
    }
    case 'MAINTAINER':
      config.author = instruction.maintainer;
      return metadata(`MAINTAINER ${instruction.maintainer}`);
    case 'ARG': {
      const parts: string[] = [];
      for (const arg of instruction.args) {
        const key = arg.key;
        let value: string | undefined;
        const override = context.buildArgs.get(key);
        if (override !== undefined) value = override;
        else if (arg.value !== undefined) value = expand(arg.value);
        else value = context.globalArgs.get(key);
        if (value !== undefined) state.env.set(key, value);
        state.declaredArgs.push({ key, value });
        parts.push(value === undefined ? key : `${key}=${value}`);
      }
      return metadata(`ARG ${parts.join(' ')}`);
    }
    case 'WORKDIR': {
      const path = normalizePath(config.config.WorkingDir ?? '', expand(instruction.path), false);
      config.config.WorkingDir = path;
      state.workdirSet = true;
      const withLayer = path !== '/';
      return {
        instruction,
        action: withLayer ? { kind: 'workdir', path, user: config.config.User ?? '' } : { kind: 'config' },
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
      let ports: string[];
      try {
        ports = parsePorts(words);
      } catch (error) {
        throw fail((error as Error).message, instruction.node.argsPosition);
      }
      const exposed = { ...(config.config.ExposedPorts ?? {}) };
      for (const port of ports) exposed[port] = {};
      config.config.ExposedPorts = exposed;
      return metadata(`EXPOSE ${goList(ports)}`);
    }
    case 'VOLUME': {
      const volumes = instruction.volumes.map(expand);
      if (volumes.some((volume) => volume === '')) throw fail('VOLUME specified can not be an empty string');
      const all = { ...(config.config.Volumes ?? {}) };
      for (const volume of volumes) all[volume] = {};
      config.config.Volumes = all;
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
      return { instruction, action: { kind: 'config' }, counted: false, displayText, history: { created_by: '', empty_layer: true } };
    case 'RUN':
      return dispatchRun(instruction, state, context, displayText, commit, fail);
    case 'COPY':
    case 'ADD':
      return dispatchCopy(instruction, state, context, displayText, expand, commit, fail);
  }
}

function withShellIfNeeded(config: ImageConfig, command: CommandLine): string[] {
  if (!command.prependShell) return [...command.args];
  const shell = config.config.Shell && config.config.Shell.length > 0 ? config.config.Shell : ['/bin/sh', '-c'];
  return [...shell, command.args.join(' ')];
}

function dispatchRun(
  instruction: Extract<StageInstruction, { kind: 'RUN' }>,
  state: DispatchState,
  context: DispatchContext,
  displayText: string,
  commit: (createdBy: string, withLayer: boolean) => HistoryEntry,
  fail: (message: string, position?: Position) => Error,
): StepWithoutConfig {
  const command = instruction.command;
  let args = [...command.args];
  let script: RunAction['script'];
  if (command.files.length > 0) {
    if (args.length !== 1 || !command.prependShell) throw fail(`parsing produced an invalid run command: ${goList(args)}`);
    const single = /^<<-?\s*(["']?)([^"'\s]+)\1$/.exec(args[0]);
    if (single) {
      const file = command.files[0];
      const data = file.chomp ? file.content.replace(/^\t+/gm, '') : file.content;
      if (data.startsWith('#!')) {
        script = { name: file.name, data };
        args = [`/dev/pipes/${file.name}`];
      } else {
        args = [data];
      }
    } else {
      let joined = args[0];
      for (const file of command.files) joined += `\n${file.content}${file.name}`;
      args = [joined];
    }
  }
  const argv = command.prependShell ? withShellIfNeeded(state.config, { ...command, args }) : args;
  const mounts = instruction.mountSpecs.map((spec, i) => {
    try {
      return parseRunMount(spec, (word) => expandWord(word, state.env, { escapeToken: context.escapeToken }).value, instruction.mountPositions[i]);
    } catch (error) {
      if (error instanceof RunMountError) throw fail(error.message, error.position);
      if (error instanceof ExpansionError) throw fail(error.message, instruction.mountPositions[i]);
      throw error;
    }
  });
  const env = new Map(state.env);
  const proxies: string[] = [];
  for (const [key, value] of context.buildArgs) {
    if (isProxyArg(key)) {
      env.set(key, value);
      proxies.push(key);
    }
  }
  const visibleArgs: Array<[string, string]> = [];
  const seen = new Map<string, number>();
  for (const arg of state.declaredArgs) {
    const value = state.env.get(arg.key) ?? arg.value ?? '';
    const index = seen.get(arg.key);
    if (index !== undefined) visibleArgs[index] = [arg.key, value];
    else {
      seen.set(arg.key, visibleArgs.length);
      visibleArgs.push([arg.key, value]);
    }
  }
  const argPrefix = visibleArgs.length > 0 ? [`|${visibleArgs.length}`, ...visibleArgs.map(([k, v]) => `${k}=${v}`)] : [];
  const history = commit(`RUN ${[...argPrefix, ...argv].join(' ')}${layerStepSuffix}`, true);
  return {
    instruction,
    action: {
      kind: 'run',
      argv: argv,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      user: state.config.config.User ?? '',
      workdir: state.config.config.WorkingDir || '/',
      network: instruction.network,
      security: instruction.security,
      mounts,
      ...(script ? { script } : {}),
      args: [...visibleArgs, ...proxies.map((key): [string, string] => [key, context.buildArgs.get(key) ?? ''])],
    },
    counted: true,
    displayText,
    history,
  };
}

function dispatchCopy(
  instruction: Extract<StageInstruction, { kind: 'COPY' | 'ADD' }>,
  state: DispatchState,
  context: DispatchContext,
  displayText: string,
  expand: (word: string) => string,
  commit: (createdBy: string, withLayer: boolean) => HistoryEntry,
  fail: (message: string, position?: Position) => Error,
): StepWithoutConfig {
  const add = instruction.kind === 'ADD';
  const chown = expand(instruction.chown);
  const chmod = expand(instruction.chmod);
  const sources = instruction.paths.sources.map(expand);
  const destWritten = expand(instruction.paths.dest);
  const inline = instruction.paths.inlineSources.map((source) => ({
    ...source,
    data: source.expand ? expandWord(source.data, state.env, { escapeToken: '\\', skipProcessQuotes: true }).value : source.data,
  }));
  const workdir = state.config.config.WorkingDir || '/';
  const dest = normalizePath(workdir, destWritten === '.' || destWritten === '' ? './' : destWritten, true);
  if (chmod !== '') {
    if (/^[0-9]+$/.test(chmod)) {
      if (!/^[0-7]+$/.test(chmod) || parseInt(chmod, 8) > 0o7777) {
        throw fail(`invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
      }
    } else if (!/^([ugoa]*[-+=]([rwxXst]*|[ugo]))(,[ugoa]*[-+=]([rwxXst]*|[ugo]))*$/.test(chmod)) {
      throw fail(`invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
    }
  }
  let checksum = '';
  if (add) {
    checksum = expand(instruction.checksum);
    if (checksum !== '') {
      if (sources.length !== 1) throw fail("checksum can't be specified for multiple sources");
      if (!/^https?:\/\//.test(sources[0])) throw fail('checksum requires HTTP(S) or Git sources');
    }
  } else {
    for (const source of sources) {
      if (/^https?:\/\//.test(source)) throw fail("source can't be a URL for COPY");
    }
  }
  const source: CopySource = instruction.kind === 'COPY' && instruction.from !== '' ? context.copySourceOf(instruction.from) : { kind: 'context' };
  let message = add ? 'ADD' : 'COPY';
  if (instruction.kind === 'COPY' && instruction.parents) message += ' --parents';
  if (chown !== '') message += ` --chown=${chown}`;
  if (chmod !== '') message += ` --chmod=${chmod}`;
  for (const src of sources) message += ` ${src}`;
  for (const src of inline) message += ` <<${src.name}`;
  message += ` ${destWritten}${layerStepSuffix}`;
  return {
    instruction,
    action: {
      kind: 'copy',
      add,
      source,
      sources,
      inline,
      dest,
      chown,
      chmod,
      excludes: instruction.excludes.map(expand),
      parents: instruction.kind === 'COPY' ? instruction.parents : false,
      link: instruction.link,
      unpack: add ? (instruction.unpack ?? true) : false,
      checksum,
      user: state.config.config.User ?? '',
    },
    counted: true,
    displayText,
    history: commit(message, true),
  };
}

/** The instruction as progress shows it: variables expanded where possible, keyword upper-cased. */
function displayTextOf(instruction: StageInstruction, env: ReadonlyMap<string, string>, escapeToken: EscapeToken): string {
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
