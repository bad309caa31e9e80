// Checks BuildKit runs on the whole file, every stage whether built or not: while parsing (stage name
// and AS casing, MAINTAINER, definition comments), the parser's empty continuation lines, stage names,
// instruction casing, and each FROM's base name and --platform against the global ARGs.
import type { InstructionNode } from '../dockerfile/ast.js';
import { expandWord } from '../expand/lex.js';
import { referenceProblem } from '../image/reference.js';
import { searchSuggestion } from '../instructions/suggest.js';
import { globalArgScope, hostPlatform, parsePlatform, platformArgs } from '../plan/args.js';
import type { BuildPlan } from '../plan/plan.js';
import type { Linter } from './linter.js';
import { messages, rules } from './rules.js';

const reservedStageNames = new Set(['context', 'scratch']);

export function runFileChecks(plan: BuildPlan, linter: Linter): void {
  for (const node of plan.ast.instructions) parseTimeChecks(node, linter.withComments(node.comments));
  for (const warning of plan.ast.warnings) {
    // The parser's only warning: an empty continuation line.
    const range = { start: warning.position, end: warning.position };
    linter.run(rules.NoEmptyContinuation, range, messages.NoEmptyContinuation());
  }
  stageNameChecks(plan, linter);
  casingCheck(plan, linter);
  defaultArgChecks(plan, linter);
  fromArgChecks(plan, linter);
}

/** What BuildKit's ParseInstructionWithLinter reports. */
function parseTimeChecks(node: InstructionNode, linter: Linter): void {
  const range = node.range;
  if (node.keyword === 'maintainer') linter.run(rules.MaintainerDeprecated, range, messages.MaintainerDeprecated());
  if (node.keyword === 'from') {
    const args = node.args;
    if (args.length === 3 && args[2] !== args[2].toLowerCase())
      linter.run(rules.StageNameCasing, range, messages.StageNameCasing(args[2]));
    if (args.length >= 3) {
      const command = node.keywordText;
      const lower = command === command.toLowerCase();
      const upper = command === command.toUpperCase();
      // A command of mixed case is ConsistentInstructionCasing's business.
      if ((lower && args[1] !== args[1].toLowerCase()) || (!lower && upper && args[1] !== args[1].toUpperCase()))
        linter.run(rules.FromAsCasing, range, messages.FromAsCasing(command, args[1]));
    }
    if (args.length === 3) definitionDescription('FROM', [args[2].toLowerCase()], node, linter);
  }
  if (node.keyword === 'arg') {
    const keys = node.args.map((word) => (word.includes('=') ? word.slice(0, word.indexOf('=')) : word));
    definitionDescription('ARG', keys, node, linter);
  }
}

/** The comment right above a stage or ARG should start with its name (experimental in BuildKit). */
function definitionDescription(instruction: string, keys: string[], node: InstructionNode, linter: Linter): void {
  if (node.comments.length === 0 || keys.length === 0) return;
  const first = node.comments[node.comments.length - 1].split(' ')[0];
  if (keys.includes(first)) return;
  const example = keys.length > 1 ? '<arg_key>' : keys[0];
  linter.run(
    rules.InvalidDefinitionDescription,
    node.range,
    messages.InvalidDefinitionDescription(instruction, example),
  );
}

function stageNameChecks(plan: BuildPlan, linter: Linter): void {
  const seen = new Set<string>();
  for (const stage of plan.definition.stages) {
    const name = stage.from.stageName;
    if (name === '') continue;
    if (reservedStageNames.has(name))
      linter.run(rules.ReservedStageName, stage.from.range, messages.ReservedStageName(name));
    if (seen.has(name)) linter.run(rules.DuplicateStageName, stage.from.range, messages.DuplicateStageName(name));
    seen.add(name);
  }
}

/** Every FROM and stage instruction in the casing most of them use (mixed case is always reported). */
function casingCheck(plan: BuildPlan, linter: Linter): void {
  const nodes = plan.definition.stages.flatMap((stage) => [stage.from.node, ...stage.instructions.map((i) => i.node)]);
  let lower = 0;
  let upper = 0;
  for (const { keywordText: name } of nodes) {
    if (name === name.toLowerCase()) lower++;
    else if (name === name.toUpperCase()) upper++;
  }
  const majorityLower = lower > upper;
  for (const node of nodes) {
    const name = node.keywordText;
    const casing =
      majorityLower && name !== name.toLowerCase()
        ? 'lowercase'
        : !majorityLower && name !== name.toUpperCase()
          ? 'uppercase'
          : undefined;
    if (casing)
      linter.run(rules.ConsistentInstructionCasing, node.range, messages.ConsistentInstructionCasing(name, casing));
  }
}

/** Base names must stay valid with the global ARGs' defaults alone (no --build-arg). */
function defaultArgChecks(plan: BuildPlan, linter: Linter): void {
  const escapeToken = plan.ast.escapeToken;
  let defaults: Map<string, string>;
  try {
    const predefined = platformArgs(hostPlatform(), plan.platform, plan.target.name, new Map());
    defaults = globalArgScope(plan.definition.metaArgs, new Map(), predefined, escapeToken);
  } catch {
    // The build fails on it with its own error; the check is abandoned, as BuildKit abandons it.
    return;
  }
  for (const stage of plan.definition.stages) {
    let name: string;
    try {
      name = expandWord(stage.from.baseName, defaults, { escapeToken }).value;
    } catch {
      return;
    }
    if (referenceProblem(name) !== undefined)
      linter.run(
        rules.InvalidDefaultArgInFrom,
        stage.from.range,
        messages.InvalidDefaultArgInFrom(stage.from.baseName),
      );
  }
}

/** ARGs a FROM uses must be declared; its --platform should be neither $TARGETPLATFORM nor a constant. */
function fromArgChecks(plan: BuildPlan, linter: Linter): void {
  const escapeToken = plan.ast.escapeToken;
  const declared = new Set([
    ...plan.globalArgs.keys(),
    ...plan.definition.metaArgs.flatMap((i) => i.args.map((a) => a.key)),
  ]);
  const undeclared = (unmatched: ReadonlySet<string>, stageLinter: Linter, range: InstructionNode['range']) => {
    for (const arg of unmatched) {
      if (declared.has(arg)) continue;
      stageLinter.run(
        rules.UndefinedArgInFrom,
        range,
        messages.UndefinedArgInFrom(arg, searchSuggestion(arg, declared)),
      );
    }
  };
  for (const stage of plan.definition.stages) {
    const from = stage.from;
    const stageLinter = linter.withComments(from.node.comments);
    try {
      undeclared(expandWord(from.baseName, plan.globalArgs, { escapeToken }).unmatched, stageLinter, from.range);
      if (from.platform === '') continue;
      const platform = expandWord(from.platform, plan.globalArgs, { escapeToken });
      undeclared(platform.unmatched, stageLinter, from.range);
      const only = [...platform.matched];
      if (
        only.length === 1 &&
        only[0] === 'TARGETPLATFORM' &&
        platform.unmatched.size === 0 &&
        platform.value === plan.globalArgs.get('TARGETPLATFORM')
      )
        stageLinter.run(rules.RedundantTargetPlatform, from.range, messages.RedundantTargetPlatform(from.platform));
      if (platform.matched.size === 0 && platform.unmatched.size === 0)
        constantPlatform(platform.value, from, stageLinter);
    } catch {
      // An expansion error fails the plan with its own message.
      return;
    }
  }
}

function constantPlatform(value: string, from: BuildPlan['definition']['stages'][number]['from'], linter: Linter) {
  let platform;
  try {
    platform = parsePlatform(value);
  } catch {
    return;
  }
  // A stage named for its platform (`AS build_amd64`) is meant to be that platform.
  if (from.stageName.includes(platform.os) || from.stageName.includes(platform.architecture)) return;
  linter.run(rules.FromPlatformFlagConstDisallowed, from.range, messages.FromPlatformFlagConstDisallowed(value));
}
