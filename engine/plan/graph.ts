// The stage graph: which stage builds on or copies from which, what external images are needed,
// and which stages a target needs (BuildKit resolves FROM/--from the same way and never builds the rest).
import type { Position } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import { PositionedError } from '../errors.js';
import { ExpansionError } from '../expand/errors.js';
import { expandWord, type EscapeToken } from '../expand/lex.js';
import { parseInstruction } from '../instructions/parse.js';
import { withSuggestion } from '../instructions/suggest.js';
import type { DockerfileDefinition, StageDefinition, StageInstruction } from '../instructions/types.js';
import { namedContextFor, type NamedContext } from './named-contexts.js';

export type StageBase = { kind: 'scratch' } | { kind: 'stage'; stage: number } | { kind: 'image'; ref: string };

export type DependencyKind = 'from' | 'copy' | 'mount';

export interface StageDependency {
  stage: number;
  kind: DependencyKind;
  /** The instruction that creates the edge (FROM for `from`). */
  position: Position;
  /** A `--build-context NAME=target:STAGE` edge: the stage may come later in the file. */
  anyOrder?: boolean;
}

export interface StageNode {
  index: number;
  /** The `AS` name, lower-cased; '' when the stage is unnamed. */
  name: string;
  /** Name used in progress and errors: the stage name, or `stage-N` as BuildKit says. */
  displayName: string;
  definition: StageDefinition;
  /** FROM's argument after expansion with the global args. */
  baseName: string;
  platform: string;
  base: StageBase;
  dependencies: StageDependency[];
  /** Images read by COPY --from or RUN --mount=from (FROM images are in `base`). */
  copiedImages: string[];
}

export interface StageGraph {
  stages: StageNode[];
  byName: ReadonlyMap<string, number>;
}

/** A problem with stages or targets (unknown target, bad reference, cycle); `position` is where in the Dockerfile, when a line of it is the cause. */
export class PlanError extends PositionedError<Position | undefined> {
  override readonly name = 'PlanError';
  override readonly code = 'MSBUILD_PLAN';
}

interface GraphOptions {
  file: string;
  source: string;
  escapeToken: EscapeToken;
  globalArgs: ReadonlyMap<string, string>;
  namedContexts?: ReadonlyMap<string, NamedContext>;
}

/** Builds the graph of every stage in the file, in file order. */
export function buildStageGraph(definition: DockerfileDefinition, options: GraphOptions): StageGraph {
  const where = { file: options.file, source: options.source };
  const byName = new Map<string, number>();
  const stages: StageNode[] = [];
  for (const stage of definition.stages) {
    const from = stage.from;
    let baseName: string;
    let platform = '';
    try {
      baseName = expandWord(from.baseName, options.globalArgs, { escapeToken: options.escapeToken }).value;
      if (from.platform !== '')
        platform = expandWord(from.platform, options.globalArgs, { escapeToken: options.escapeToken }).value;
    } catch (error) {
      if (error instanceof ExpansionError) throw syntaxErrorAt(where, from.node.argsPosition, error.message);
      throw error;
    }
    if (baseName === '') {
      throw syntaxErrorAt(where, from.node.argsPosition, `base name (${from.baseName}) should not be blank`);
    }
    // Only stages above this one can be a base (BuildKit registers stages in file order).
    const baseStage = byName.get(baseName.toLowerCase());
    const name = from.stageName;
    // A named context replaces the stage of its name (whose instructions then do not run), or its base image.
    const replacing = name !== '' ? namedContextFor(options.namedContexts, name) : undefined;
    const named =
      replacing ??
      (baseStage === undefined && baseName !== 'scratch'
        ? namedContextFor(options.namedContexts, baseName)
        : undefined);
    const fromContext = named
      ? contextBase(named, { name: replacing ? name : baseName, byName, definition, where, from })
      : undefined;
    const base: StageBase =
      fromContext?.base ??
      (baseStage !== undefined
        ? { kind: 'stage', stage: baseStage }
        : baseName === 'scratch'
          ? { kind: 'scratch' }
          : { kind: 'image', ref: baseName });
    const instructions = [...(fromContext?.instructions ?? []), ...(replacing ? [] : stage.instructions)];
    const node: StageNode = {
      index: stage.index,
      name,
      displayName: name !== '' ? name : `stage-${stage.index}`,
      definition: instructions === stage.instructions ? stage : { ...stage, instructions },
      baseName,
      platform,
      base,
      dependencies:
        base.kind === 'stage'
          ? [{ stage: base.stage, kind: 'from', position: from.range.start, ...(named ? { anyOrder: true } : {}) }]
          : [],
      copiedImages: [],
    };
    stages.push(node);
    if (name !== '') byName.set(name, stage.index);
  }
  for (const node of stages)
    addInstructionEdges(
      node,
      node.definition.instructions,
      { stages, byName },
      {
        ...where,
        escapeToken: options.escapeToken,
        ...(options.namedContexts ? { namedContexts: options.namedContexts } : {}),
      },
    );
  return { stages, byName };
}

/** Adds COPY --from and RUN --mount=from edges of `instructions` to `node` (also used for ONBUILD triggers). */
export function addInstructionEdges(
  node: StageNode,
  instructions: readonly StageInstruction[],
  graph: { stages: readonly StageNode[]; byName: ReadonlyMap<string, number> },
  where: { file: string; source: string; escapeToken: EscapeToken; namedContexts?: ReadonlyMap<string, NamedContext> },
): void {
  const { stages, byName } = graph;
  const addImage = (ref: string, position: Position, kind: DependencyKind) => {
    const named = namedContextFor(where.namedContexts, ref);
    if (named?.kind === 'dir') return;
    if (named?.kind === 'stage') {
      const stage = byName.get(named.stage);
      if (stage === undefined) throw syntaxErrorAt(where, position, unknownTargetMessage(named.stage, byName));
      node.dependencies.push({ stage, kind, position, anyOrder: true });
      return;
    }
    const image = named?.kind === 'image' ? named.ref : ref;
    if (!node.copiedImages.includes(image)) node.copiedImages.push(image);
  };
  for (const instruction of instructions) {
    if (instruction.kind === 'COPY' && instruction.from !== '') {
      const from = instruction.from;
      if (!isLiteralWord(from, where.escapeToken)) {
        throw syntaxErrorAt(
          where,
          instruction.node.range.start,
          'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
        );
      }
      if (/^-?\d+$/.test(from)) {
        const index = Number(from);
        if (index < 0 || index >= stages.length) {
          throw syntaxErrorAt(
            where,
            instruction.node.range.start,
            `invalid stage index ${from}: the Dockerfile has stages 0 to ${stages.length - 1}`,
          );
        }
        node.dependencies.push({ stage: index, kind: 'copy', position: instruction.node.range.start });
      } else if (namedContextFor(where.namedContexts, from)?.kind !== 'dir') {
        // A directory context is read as it is, also where a stage of its name stands for it.
        const stage = byName.get(from.toLowerCase());
        if (stage !== undefined)
          node.dependencies.push({ stage, kind: 'copy', position: instruction.node.range.start });
        else addImage(from, instruction.node.range.start, 'copy');
      }
    }
    if (instruction.kind === 'RUN') {
      for (const mount of instruction.mounts) {
        if (mount.from === '') continue;
        const stage = byName.get(mount.from.toLowerCase());
        if (stage !== undefined)
          node.dependencies.push({ stage, kind: 'mount', position: instruction.node.range.start });
        else addImage(mount.from, instruction.node.range.start, 'mount');
      }
    }
  }
}

/** True when expansion would not change `word` (BuildKit forbids variables and quotes in --from). */
function isLiteralWord(word: string, escapeToken: EscapeToken): boolean {
  try {
    return expandWord(word, new Map(), { escapeToken }).value === word;
  } catch (error) {
    if (error instanceof ExpansionError) return false;
    throw error;
  }
}

/** The stage a build targets: `--target` by name, else the last stage. */
export function resolveTarget(graph: StageGraph, target: string | undefined): StageNode {
  if (target === undefined || target === '') return graph.stages[graph.stages.length - 1];
  const index = graph.byName.get(target.toLowerCase());
  if (index === undefined) {
    const names = [...graph.byName.keys()];
    const known = names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (the Dockerfile has no named stages)';
    throw new PlanError(
      withSuggestion(`target stage ${JSON.stringify(target)} could not be found${known}`, target, names),
      undefined,
    );
  }
  return graph.stages[index];
}

/**
 * Stages the target needs, itself included, in file order. Unneeded stages are never built or checked.
 * Walks with a list, as every walk of the graph here: a chain of 10,000 stages is a valid Dockerfile.
 */
export function reachableStages(graph: StageGraph, target: StageNode): StageNode[] {
  const seen = new Set<number>([target.index]);
  const pending = [target.index];
  for (let index = pending.pop(); index !== undefined; index = pending.pop()) {
    for (const dependency of graph.stages[index].dependencies) {
      if (seen.has(dependency.stage)) continue;
      seen.add(dependency.stage);
      pending.push(dependency.stage);
    }
  }
  return graph.stages.filter((stage) => seen.has(stage.index));
}

/**
 * Checks the reachable stages' references: a stage can only read stages defined above it
 * (a reference below is either a cycle or an ordering mistake; both are named).
 */
export function validateReferences(
  graph: StageGraph,
  stages: readonly StageNode[],
  where: { file: string; source: string },
): void {
  for (const stage of stages) {
    for (const dependency of stage.dependencies) {
      if (dependency.stage < stage.index) continue;
      if (dependency.anyOrder && dependency.stage !== stage.index && !findCycle(graph, stage.index)) continue;
      const other = graph.stages[dependency.stage];
      const cycle = findCycle(graph, stage.index);
      const message = cycle
        ? `circular dependency detected on stage: ${cycle.map((i) => graph.stages[i].displayName).join(' -> ')}`
        : dependency.kind === 'mount'
          ? `cannot mount from stage ${JSON.stringify(other.displayName)} in stage ${JSON.stringify(stage.displayName)}: it needs to be defined before the current stage`
          : `cannot copy from stage ${JSON.stringify(other.displayName)}, it needs to be defined before current stage ${JSON.stringify(stage.displayName)}`;
      throw syntaxErrorAt(where, dependency.position, message);
    }
  }
}

/** A cycle through `start`'s dependencies, as the path that closes it; depth-first with an explicit stack. */
function findCycle(graph: StageGraph, start: number): number[] | undefined {
  const path: number[] = [];
  const onPath = new Set<number>();
  const done = new Set<number>();
  // Each frame: a stage on the path and the next of its dependencies to follow.
  const frames: Array<{ index: number; next: number }> = [];
  const enter = (index: number) => {
    onPath.add(index);
    path.push(index);
    frames.push({ index, next: 0 });
  };
  enter(start);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1];
    const dependencies = graph.stages[frame.index].dependencies;
    if (frame.next >= dependencies.length) {
      frames.pop();
      path.pop();
      onPath.delete(frame.index);
      done.add(frame.index);
      continue;
    }
    const next = dependencies[frame.next++].stage;
    if (onPath.has(next)) return [...path.slice(path.indexOf(next)), next];
    if (!done.has(next)) enter(next);
  }
  return undefined;
}

/**
 * Groups stages into levels: a stage's level is one more than the deepest stage it needs,
 * so every stage in a level can run at the same time once the levels above are done.
 */
export function parallelLevels(stages: readonly StageNode[]): StageNode[][] {
  const included = new Map(stages.map((stage) => [stage.index, stage]));
  const levelOf = new Map<number, number>();
  for (const root of stages) {
    if (levelOf.has(root.index)) continue;
    // Post-order with an explicit stack: a stage's level is known once its dependencies' are.
    const frames: Array<{ stage: StageNode; next: number; deepest: number }> = [{ stage: root, next: 0, deepest: -1 }];
    levelOf.set(root.index, 0); // guards against cycles; validateReferences reports them
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const dependencies = frame.stage.dependencies;
      if (frame.next >= dependencies.length) {
        frames.pop();
        levelOf.set(frame.stage.index, frame.deepest + 1);
        const parent = frames[frames.length - 1];
        if (parent) parent.deepest = Math.max(parent.deepest, frame.deepest + 1);
        continue;
      }
      const other = included.get(dependencies[frame.next++].stage);
      if (!other || other === frame.stage) continue;
      const known = levelOf.get(other.index);
      if (known !== undefined) {
        frame.deepest = Math.max(frame.deepest, known);
        continue;
      }
      levelOf.set(other.index, 0);
      frames.push({ stage: other, next: 0, deepest: -1 });
    }
  }
  const levels: StageNode[][] = [];
  for (const stage of stages) (levels[levelOf.get(stage.index) as number] ??= []).push(stage);
  return levels;
}

/** Images that must exist in the daemon: FROM images and COPY/mount sources that are not stages. */
export function externalImages(stages: readonly StageNode[]): string[] {
  const images = new Set<string>();
  for (const stage of stages) {
    if (stage.base.kind === 'image') images.add(stage.base.ref);
    for (const image of stage.copiedImages) images.add(image);
  }
  return [...images];
}

function unknownTargetMessage(stage: string, byName: ReadonlyMap<string, number>): string {
  return withSuggestion(`--build-context target:${stage}: no stage ${JSON.stringify(stage)} in the Dockerfile`, stage, [
    ...byName.keys(),
  ]);
}

/**
 * A stage's start when a named context stands for it or for its base: an image, another stage (of
 * any position: BuildKit builds a target: context as a build of its own), or a directory, whose files
 * a COPY writes onto scratch first.
 */
function contextBase(
  named: NamedContext,
  options: {
    /** The name the context was given. */
    name: string;
    byName: ReadonlyMap<string, number>;
    definition: DockerfileDefinition;
    where: { file: string; source: string };
    from: StageDefinition['from'];
  },
): { base: StageBase; instructions?: StageInstruction[] } {
  const { byName, definition, where, from } = options;
  if (named.kind === 'image') return { base: { kind: 'image', ref: named.ref } };
  if (named.kind === 'stage') {
    const stage = byName.get(named.stage) ?? definition.stages.find((s) => s.from.stageName === named.stage)?.index;
    if (stage === undefined) throw syntaxErrorAt(where, from.range.start, unknownTargetMessage(named.stage, byName));
    return { base: { kind: 'stage', stage } };
  }
  const text = `COPY --from=${options.name} / /`;
  const node = {
    ...parseDockerfile(text, { file: where.file }).instructions[0],
    range: from.range,
    argsPosition: from.range.start,
  };
  return { base: { kind: 'scratch' }, instructions: [parseInstruction(node, where) as StageInstruction] };
}
