// Turns parse-tree nodes into typed, validated instructions and groups them into stages,
// with BuildKit's rules (instructions/parse.go): argument counts, accepted flags, JSON forms, stage names.
import type { DockerfileAst, InstructionNode } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { parseGoDuration } from './duration.js';
import { FlagError, type FlagSpec } from './flags.js';
import {
  base,
  commandLine,
  flagsFor,
  InstructionError,
  jsonArgs,
  keyValuePairs,
  noDestination,
  sourcesAndDest,
  tableFlags,
} from './node-arguments.js';
import { parseRunMount, RunMountError } from './run-mount.js';
import { withSuggestion } from './suggest.js';
import type {
  ArgInstruction,
  DockerfileDefinition,
  FromInstruction,
  HealthcheckSpec,
  Instruction,
  NetworkMode,
  StageDefinition,
  StageInstruction,
} from './types.js';

const instructionNames = [
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
] as const;

const noFlags: FlagSpec = {};

/** BuildKit's stage-name rule: lower-case letter first, then letters, digits, `-`, `_`, `.`. */
export const validStageName = /^[a-z][a-z0-9-_.]*$/;

interface ParseContext {
  file: string;
  source: string;
}

/** Parses every node of the tree and groups the result into meta ARGs and stages. */
export function parseDefinition(ast: DockerfileAst): DockerfileDefinition {
  const where = { file: ast.file, source: ast.source };
  const metaArgs: ArgInstruction[] = [];
  const stages: StageDefinition[] = [];
  for (const node of ast.instructions) {
    const instruction = parseInstruction(node, where);
    if (instruction.kind === 'FROM') {
      stages.push({ index: stages.length, from: instruction, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current === undefined) {
      if (instruction.kind === 'ARG') {
        metaArgs.push(instruction);
        continue;
      }
      throw syntaxErrorAt(
        where,
        node.range.start,
        `no build stage in current context: ${node.keywordText.toUpperCase()} must come after FROM`,
      );
    }
    current.instructions.push(instruction);
  }
  if (stages.length === 0) {
    throw syntaxErrorAt(
      where,
      { line: 1, column: 1 },
      'dockerfile contains no stages to build: add a FROM instruction',
    );
  }
  return { metaArgs, stages };
}

/** One node → one typed instruction; throws DockerfileSyntaxError pointing at the offending part. */
export function parseInstruction(node: InstructionNode, where: ParseContext): Instruction {
  try {
    return parseNode(node, where);
  } catch (error) {
    if (error instanceof FlagError || error instanceof RunMountError) {
      throw syntaxErrorAt(where, error.position, error.message);
    }
    if (error instanceof InstructionError)
      throw syntaxErrorAt(where, error.position ?? node.range.start, error.message + trailingCommentHint(node));
    throw error;
  }
}

/**
 * Tutorials often write `FROM scratch # the smallest image`: a `#` after an instruction is no comment
 * to BuildKit but more arguments. It refuses the instruction without saying why; msbuild says why.
 */
function trailingCommentHint(node: InstructionNode): string {
  if (node.json) return '';
  const words = node.args.join(' ').split(/\s+/);
  const at = words.findIndex((word) => word.startsWith('#'));
  if (at < 0) return '';
  const comment = words.slice(at).join(' ');
  const shown = comment.length > 40 ? `${comment.slice(0, 39)}…` : comment;
  return ` (a Dockerfile comment must start its line: "${shown}" is read as more arguments of ${node.keywordText})`;
}

function parseNode(node: InstructionNode, where: ParseContext): Instruction {
  const args = node.args;
  const upper = node.keyword.toUpperCase();
  const atArgs = node.argsPosition;
  const exactlyOne = () => {
    if (args.length !== 1) throw new InstructionError(`${upper} requires exactly one argument`, atArgs);
  };
  const atLeastOne = () => {
    if (args.length === 0) throw new InstructionError(`${upper} requires at least one argument`, atArgs);
  };
  switch (node.keyword) {
    case 'env':
    case 'label': {
      flagsFor(node, noFlags);
      const pairs = keyValuePairs(args, upper, atArgs);
      return node.keyword === 'env' ? { kind: 'ENV', ...base(node), pairs } : { kind: 'LABEL', ...base(node), pairs };
    }
    case 'maintainer':
      exactlyOne();
      flagsFor(node, noFlags);
      return { kind: 'MAINTAINER', ...base(node), maintainer: args[0] };
    case 'add': {
      if (args.length < 2) throw noDestination('ADD', atArgs);
      const flags = tableFlags(node, 'ADD');
      return {
        kind: 'ADD',
        ...base(node),
        paths: sourcesAndDest(node, 'ADD'),
        chown: flags.string('chown'),
        chmod: flags.string('chmod'),
        link: flags.bool('link'),
        keepGitDir: flags.used.has('keep-git-dir') ? flags.bool('keep-git-dir') : undefined,
        checksum: flags.string('checksum'),
        unpack: flags.used.has('unpack') ? flags.bool('unpack') : undefined,
        excludes: flags.strings('exclude'),
      };
    }
    case 'copy': {
      if (args.length < 2) throw noDestination('COPY', atArgs);
      const flags = tableFlags(node, 'COPY');
      return {
        kind: 'COPY',
        ...base(node),
        paths: sourcesAndDest(node, 'COPY'),
        from: flags.string('from'),
        chown: flags.string('chown'),
        chmod: flags.string('chmod'),
        link: flags.bool('link'),
        parents: flags.bool('parents'),
        excludes: flags.strings('exclude'),
      };
    }
    case 'from':
      return parseFrom(node);
    case 'onbuild': {
      atLeastOne();
      flagsFor(node, noFlags);
      const trigger = (node.child?.keyword ?? args[0] ?? '').toUpperCase();
      if (trigger === 'ONBUILD')
        throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", atArgs);
      if (trigger === 'MAINTAINER' || trigger === 'FROM') {
        throw new InstructionError(`${trigger} isn't allowed as an ONBUILD trigger`, atArgs);
      }
      // The trigger is validated now so that a typo fails this build, not the one that uses the image.
      if (node.child) parseInstruction(node.child, where);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const heredoc of node.heredocs) expression += `\n${heredoc.content}${heredoc.name}`;
      return { kind: 'ONBUILD', ...base(node), expression };
    }
    case 'workdir':
      exactlyOne();
      flagsFor(node, noFlags);
      return { kind: 'WORKDIR', ...base(node), path: args[0] };
    case 'run':
      return parseRun(node);
    case 'cmd':
      flagsFor(node, noFlags);
      return { kind: 'CMD', ...base(node), command: commandLine(node, false) };
    case 'entrypoint':
      flagsFor(node, noFlags);
      return { kind: 'ENTRYPOINT', ...base(node), command: commandLine(node, true) };
    case 'healthcheck':
      return { kind: 'HEALTHCHECK', ...base(node), health: parseHealthcheck(node) };
    case 'expose':
      atLeastOne();
      flagsFor(node, noFlags);
      return { kind: 'EXPOSE', ...base(node), ports: [...args].sort() };
    case 'user':
      exactlyOne();
      flagsFor(node, noFlags);
      return { kind: 'USER', ...base(node), user: args[0] };
    case 'volume': {
      atLeastOne();
      flagsFor(node, noFlags);
      const volumes = args.map((volume) => volume.trim());
      if (volumes.some((volume) => volume === ''))
        throw new InstructionError('VOLUME specified can not be an empty string', atArgs);
      return { kind: 'VOLUME', ...base(node), volumes };
    }
    case 'stopsignal':
      exactlyOne();
      return { kind: 'STOPSIGNAL', ...base(node), signal: args[0] };
    case 'arg': {
      atLeastOne();
      flagsFor(node, noFlags);
      const parsed = args.map((word) => {
        const equals = word.indexOf('=');
        if (equals < 0) return { key: word, value: undefined };
        if (equals === 0) throw new InstructionError('ARG names can not be blank', atArgs);
        return { key: word.slice(0, equals), value: word.slice(equals + 1) };
      });
      return { kind: 'ARG', ...base(node), args: parsed };
    }
    case 'shell': {
      flagsFor(node, noFlags);
      const shell = jsonArgs(node);
      if (shell.length === 0) throw new InstructionError('SHELL requires at least one argument', atArgs);
      if (!node.json) {
        throw new InstructionError(
          `SHELL requires the arguments to be in JSON form: SHELL ["executable", "param1"], got: ${node.original.trim()}`,
          atArgs,
        );
      }
      return { kind: 'SHELL', ...base(node), shell };
    }
    default:
      throw new InstructionError(
        withSuggestion(`unknown instruction: ${node.keywordText}`, node.keyword.toUpperCase(), instructionNames, false),
        node.range.start,
      );
  }
}

function parseFrom(node: InstructionNode): FromInstruction {
  const args = node.args;
  let stageName = '';
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    stageName = args[2].toLowerCase();
    if (!validStageName.test(stageName)) {
      throw new InstructionError(
        `invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`,
        node.argsPosition,
      );
    }
  } else if (args.length !== 1) {
    throw new InstructionError('FROM requires either one or three arguments (FROM image [AS name])', node.argsPosition);
  }
  const flags = tableFlags(node, 'FROM');
  return { kind: 'FROM', ...base(node), baseName: args[0], stageName, platform: flags.string('platform') };
}

function parseRun(node: InstructionNode): StageInstruction {
  const flags = tableFlags(node, 'RUN');
  const network = flags.string('network', 'default');
  if (network !== 'default' && network !== 'none' && network !== 'host') {
    throw new InstructionError(`invalid network mode ${JSON.stringify(network)}`, flags.position('network'));
  }
  const security = flags.string('security', 'sandbox');
  if (security !== 'sandbox' && security !== 'insecure') {
    throw new InstructionError(`security ${JSON.stringify(security)} is not valid`, flags.position('security'));
  }
  const mountSpecs = flags.strings('mount');
  const mountFlags = node.flags.filter((flag) => /^--mount=/.test(flag.text));
  const mountPositions = mountFlags.map((flag) => flag.position);
  // Without an expander BuildKit only checks the mount syntax; values are expanded per stage scope later.
  const mounts = mountSpecs.map((spec, i) => parseRunMount(spec, undefined, mountPositions[i] ?? node.range.start));
  return {
    kind: 'RUN',
    ...base(node),
    command: commandLine(node, false),
    mounts,
    network: network as NetworkMode,
    security,
    mountSpecs,
    mountPositions,
  };
}

function parseHealthcheck(node: InstructionNode): HealthcheckSpec {
  const args = node.args;
  if (args.length === 0) throw new InstructionError('HEALTHCHECK requires at least one argument', node.argsPosition);
  const type = args[0].toUpperCase();
  const rest = args.slice(1);
  if (type === 'NONE') {
    if (rest.length !== 0) throw new InstructionError('HEALTHCHECK NONE takes no arguments', node.argsPosition);
    return { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  }
  const flags = tableFlags(node, 'HEALTHCHECK');
  if (type !== 'CMD')
    throw new InstructionError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`, node.argsPosition);
  const command = jsonArgs(node, rest);
  if (command.length === 0) throw new InstructionError('Missing command after HEALTHCHECK CMD', node.argsPosition);
  const interval = (name: string): number => {
    const value = flags.string(name);
    if (value === '') return 0;
    let nanoseconds: number;
    try {
      nanoseconds = parseGoDuration(value);
    } catch (error) {
      throw new InstructionError((error as Error).message, flags.position(name));
    }
    if (nanoseconds !== 0 && nanoseconds < 1e6) {
      throw new InstructionError(`Interval "${name}" cannot be less than 1ms`, flags.position(name));
    }
    return nanoseconds;
  };
  let retries = 0;
  const retriesText = flags.string('retries');
  if (retriesText !== '') {
    if (!/^[+-]?\d+$/.test(retriesText) || Math.abs(Number(retriesText)) > 2147483647) {
      throw new InstructionError(
        `strconv.ParseInt: parsing ${JSON.stringify(retriesText)}: invalid syntax`,
        flags.position('retries'),
      );
    }
    retries = Number(retriesText);
    if (retries < 0) throw new InstructionError(`--retries cannot be negative (${retries})`, flags.position('retries'));
  }
  return {
    test: [node.json ? 'CMD' : 'CMD-SHELL', ...command],
    interval: interval('interval'),
    timeout: interval('timeout'),
    startPeriod: interval('start-period'),
    startInterval: interval('start-interval'),
    retries,
  };
}
