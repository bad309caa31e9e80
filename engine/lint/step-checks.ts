// Checks BuildKit runs while dispatching the stages a build needs (all of them for `--check`): key/value
// form, secrets in ARG/ENV, relative WORKDIR, shell-form CMD/ENTRYPOINT, repeated CMD/ENTRYPOINT/
// HEALTHCHECK, EXPOSE forms, undefined variables, COPY of ignored files, and the base image's platform.
import type { IgnoreRules } from '../context/ignore.js';
import type { SourceRange } from '../dockerfile/ast.js';
import type { ImageConfig } from '../image/config.js';
import { formatPlatform, parsePlatform, type Platform } from '../plan/args.js';
import type { BuildPlan, StagePlan } from '../plan/plan.js';
import type { DispatchedStep } from '../plan/step.js';
import type { Linter } from './linter.js';
import { messages, rules } from './rules.js';

const secretWords = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const allowedWords = /(?:_|^)(?:public|file|version)(?:_|$)/i;

function secretKey(instruction: 'ARG' | 'ENV', key: string, range: SourceRange, linter: Linter): void {
  if (secretWords.test(key) && !allowedWords.test(key))
    linter.run(rules.SecretsUsedInArgOrEnv, range, messages.SecretsUsedInArgOrEnv(instruction, key));
}

export function runStepChecks(plan: BuildPlan, stage: StagePlan, linter: Linter, ignore: IgnoreRules | undefined) {
  baseImagePlatform(plan, stage, linter);
  // Which of these the stage set last (only the last counts): BuildKit's trackers, per stage.
  const lastSet = new Map<string, SourceRange>();
  let config = stage.start.config;
  for (const step of stage.steps) {
    stepChecks(step, config, { linter: linter.withComments(step.instruction.node.comments), lastSet, ignore });
    // Undefined variables are judged where the environment is known: not on top of an unknown base image.
    if (stage.baseKnown) {
      const stepLinter = linter.withComments(step.instruction.node.comments);
      for (const variable of step.lint?.undefinedVars ?? [])
        stepLinter.run(
          rules.UndefinedVar,
          step.instruction.range,
          messages.UndefinedVar(variable.name, variable.suggestion),
        );
    }
    config = step.configAfter;
  }
}

interface StepCheckContext {
  linter: Linter;
  lastSet: Map<string, SourceRange>;
  ignore: IgnoreRules | undefined;
}

function stepChecks(step: DispatchedStep, before: ImageConfig, { linter, lastSet, ignore }: StepCheckContext) {
  const instruction = step.instruction;
  const range = instruction.range;
  const name = instruction.node.keywordText;
  switch (instruction.kind) {
    case 'ENV':
    case 'LABEL':
      for (const pair of instruction.pairs)
        if (pair.noDelimiter) linter.run(rules.LegacyKeyValueFormat, range, messages.LegacyKeyValueFormat(name));
      if (instruction.kind === 'ENV') for (const key of step.lint?.envKeys ?? []) secretKey('ENV', key, range, linter);
      break;
    case 'ARG':
      for (const arg of instruction.args) secretKey('ARG', arg.key, range, linter);
      break;
    case 'WORKDIR':
      if (step.lint?.relativeWorkdir !== undefined)
        linter.run(rules.WorkdirRelativePath, range, messages.WorkdirRelativePath(step.lint.relativeWorkdir));
      break;
    case 'CMD':
    case 'ENTRYPOINT':
    case 'HEALTHCHECK': {
      const previous = lastSet.get(instruction.kind);
      // Reported at the one that is ignored: the earlier.
      if (previous)
        linter.run(rules.MultipleInstructionsDisallowed, previous, messages.MultipleInstructionsDisallowed(name));
      lastSet.set(instruction.kind, range);
      if (instruction.kind !== 'HEALTHCHECK' && instruction.command.prependShell && !(before.config.Shell?.length ?? 0))
        linter.run(rules.JSONArgsRecommended, range, messages.JSONArgsRecommended(name));
      break;
    }
    case 'EXPOSE':
      for (const port of step.lint?.exposePorts ?? []) exposeChecks(port, range, linter);
      break;
    case 'COPY':
    case 'ADD':
      if (step.action.kind === 'copy' && step.action.source.kind === 'context' && ignore)
        for (const source of step.action.sources)
          ignoredSource({ kind: instruction.kind, source, range }, ignore, linter);
      break;
  }
}

/** BuildKit's splitParts and splitProtoPort: `[ip:][hostPort:]port[/proto]`. */
function exposeChecks(raw: string, range: SourceRange, linter: Linter): void {
  const parts = raw.split(':');
  const container = parts[parts.length - 1];
  const hostPort = parts.length >= 2 ? parts[parts.length - 2] : '';
  const ip = parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':') : '';
  const slash = container.indexOf('/');
  const port = slash < 0 ? container : container.slice(0, slash);
  const proto = slash < 0 ? '' : container.slice(slash + 1);
  // A malformed port fails the build with its own error, before BuildKit's checks see it.
  if (port === '' || !['', 'tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) return;
  if (proto !== proto.toLowerCase()) linter.run(rules.ExposeProtoCasing, range, messages.ExposeProtoCasing(raw));
  if (ip !== '' || hostPort !== '') linter.run(rules.ExposeInvalidFormat, range, messages.ExposeInvalidFormat(raw));
}

/** A source .dockerignore excludes (only judged when no `!exception` makes it hard to tell). */
function ignoredSource(
  copied: { kind: 'COPY' | 'ADD'; source: string; range: SourceRange },
  ignore: IgnoreRules,
  linter: Linter,
) {
  const { kind, source, range } = copied;
  if (/^https?:\/\//.test(source) || ignore.patterns.some((pattern) => pattern.startsWith('!'))) return;
  const clean = cleanLikeGo(source);
  const command = kind === 'COPY' ? 'Copy' : 'Add';
  if (clean === '.' || clean === '/') {
    if (ignore.patterns.some((pattern) => pattern === '*' || pattern === '**' || pattern === '**/*'))
      linter.run(rules.CopyIgnoredFile, range, messages.CopyIgnoredFile(command, clean));
    return;
  }
  // An absolute source never matches BuildKit's relative patterns.
  if (!clean.startsWith('/') && ignore.ignores(clean))
    linter.run(rules.CopyIgnoredFile, range, messages.CopyIgnoredFile(command, clean));
}

/** Go's filepath.Clean of a relative or absolute path. */
function cleanLikeGo(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (part !== '..' || !absolute) parts.push(part);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

/** The base image a stage was given should be for the platform it builds for. */
function baseImagePlatform(plan: BuildPlan, stage: StagePlan, linter: Linter): void {
  const base = stage.node.base;
  if (base.kind !== 'image' || !stage.baseKnown) return;
  const config = stage.start.config;
  let expected: Platform = plan.platform;
  if (stage.node.platform !== '') {
    try {
      expected = parsePlatform(stage.node.platform);
    } catch {
      return;
    }
  }
  if (config.os === expected.os && config.architecture === expected.architecture) return;
  const actual = formatPlatform({ os: config.os, architecture: config.architecture, variant: config.variant });
  linter.run(
    rules.InvalidBaseImagePlatform,
    stage.node.definition.from.range,
    messages.InvalidBaseImagePlatform(base.ref, formatPlatform(expected), actual),
  );
}
