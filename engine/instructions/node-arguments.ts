// Reading an instruction node's arguments by BuildKit's rules (instructions/parse.go): flags by the
// flag table, exec and shell forms, key=value pairs, sources with heredocs and a destination.
import type { InstructionNode, Position } from '../dockerfile/ast.js';
import { PositionedError } from '../errors.js';
import { flagSpecFor, refuseUnsupportedFlags, type FlaggedInstruction } from './flag-table.js';
import { parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
import type { CommandLine, KeyValue, SourcesAndDest } from './types.js';

/** A validation failure; the position defaults to the instruction's start. */
export class InstructionError extends PositionedError<Position | undefined> {
  override readonly name = 'InstructionError';
  override readonly code = 'MSBUILD_INSTRUCTION';
}

export function base(node: InstructionNode) {
  return { node, text: node.original.trim(), range: node.range };
}

export function flagsFor(node: InstructionNode, spec: FlagSpec): ParsedFlags {
  return parseFlags(node.flags, spec);
}

/** The flags of an instruction that takes some: parsed by BuildKit's rules, then those msbuild refuses refused. */
export function tableFlags(node: InstructionNode, instruction: FlaggedInstruction): ParsedFlags {
  const flags = parseFlags(node.flags, flagSpecFor(instruction));
  refuseUnsupportedFlags(instruction, flags);
  return flags;
}

export function noDestination(command: string, position: Position): InstructionError {
  return new InstructionError(
    `${command} requires at least two arguments, but only one was provided. Destination could not be determined`,
    position,
  );
}

export function keyValuePairs(args: readonly string[], command: string, position: Position): KeyValue[] {
  if (args.length === 0) throw new InstructionError(`${command} requires at least one argument`, position);
  if (args.length % 3 !== 0) throw new InstructionError(`Bad input to ${command}, too many arguments`, position);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (args[i].length === 0) throw new InstructionError(`${command} names can not be blank`, position);
    pairs.push({ key: args[i], value: args[i + 1], noDelimiter: args[i + 2] === '' });
  }
  return pairs;
}

/** `<<EOF` / `<<-"EOF"` as a whole word names a heredoc; returns its name. */
function heredocName(word: string): string | undefined {
  const match = /^<<-?\s*(["']?)([^"'\s]+)\1$/.exec(word);
  return match ? match[2] : undefined;
}

export function sourcesAndDest(node: InstructionNode, command: string): SourcesAndDest {
  const args = node.args;
  const dest = args[args.length - 1];
  if (!node.json && heredocName(dest) !== undefined) {
    throw new InstructionError(`${command} cannot accept a heredoc as a destination`, node.argsPosition);
  }
  const heredocs = new Map(node.heredocs.map((heredoc) => [heredoc.name, heredoc]));
  const sources: string[] = [];
  const inlineSources: SourcesAndDest['inlineSources'] = [];
  for (const source of args.slice(0, -1)) {
    const name = node.json ? undefined : heredocName(source);
    const heredoc = name === undefined ? undefined : heredocs.get(name);
    if (heredoc) inlineSources.push({ name: heredoc.name, data: heredoc.content, expand: heredoc.expand });
    else sources.push(source);
  }
  return { sources, inlineSources, dest };
}

/** BuildKit's handleJSONArgs: exec form as is, shell form joined into one string. */
export function jsonArgs(node: InstructionNode, args: readonly string[] = node.args): string[] {
  if (args.length === 0) return [];
  return node.json ? [...args] : [args.join(' ')];
}

export function commandLine(
  node: InstructionNode,
  emptyAsNone: boolean,
  args: readonly string[] = node.args,
): CommandLine {
  const argv = jsonArgs(node, args);
  return { args: emptyAsNone && argv.length === 0 ? [] : argv, prependShell: !node.json, files: [...node.heredocs] };
}
