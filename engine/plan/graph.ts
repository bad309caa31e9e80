// The stage graph: which stage builds on or copies from which, what external images are needed,
// and which stages a target needs (BuildKit resolves FROM/--from the same way and never builds the rest).
import type { Position } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { expandWord, type EscapeToken } from '../expand/lex.js';
import { ExpansionError } from '../expand/errors.js';
import { withSuggestion } from '../instructions/suggest.js';
import type { DockerfileDefinition, StageDefinition, StageInstruction } from '../instructions/types.js';

export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; stage: number }
  | { kind: 'image'; ref: string };

export type DependencyKind = 'from' | 'copy' | 'mount';

export interface StageDependency {
  stage: number;
  kind: DependencyKind;
  /** The instruction that creates the edge (FROM for `from`). */
  position: Position;
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

/** A problem with stages or targets: unknown target, bad reference, cycle. */
export class PlanError extends Error {
  override readonly name = 'PlanError';
  constructor(
    message: string,
    /** Where in the Dockerfile, when the problem comes from a line of it. */
    readonly position?: Position,
  ) {
    super(message);
  }
}

interface GraphOptions {
  file: string;
  source: string;
  escapeToken: EscapeToken;
  globalArgs: ReadonlyMap<string, string>;
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
      if (from.platform !== '') platform = expandWord(from.platform, options.globalArgs, { escapeToken: options.escapeToken }).value;
    } catch (error) {
      if (error instanceof ExpansionError) throw syntaxErrorAt(where, from.node.argsPosition, error.message);
      throw error;
    }
    if (baseName === '') {
      throw syntaxErrorAt(where, from.node.argsPosition, `base name (${from.baseName}) should not be blank`);
    }
    // Only stages above this one can be a base (BuildKit registers stages in file order).
    const baseStage = byName.get(baseName.toLowerCase());
    const base: StageBase =
      baseStage !== undefined ? { kind: 'stage', stage: baseStage } : baseName === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: baseName };
    const name = from.stageName;
    const node: StageNode = {
      index: stage.index,
      name,
      displayName: name !== '' ? name : `stage-${stage.index}`,
      definition: stage,
      baseName,
      platform,
      base,
      dependencies: base.kind === 'stage' ? [{ stage: base.stage, kind: 'from', position: from.range.start }] : [],
      copiedImages: [],
    };
    stages.push(node);
    if (name !== '') byName.set(name, stage.index);
  }
  for (const node of stages) addInstructionEdges(node, node.definition.instructions, stages, byName, { ...where, escapeToken: options.escapeToken });
  return { stages, byName };
}

/** Adds COPY --from and RUN --mount=from edges of `instructions` to `node` (also used for ONBUILD triggers). */
export function addInstructionEdges(
  node: StageNode,
  instructions: readonly StageInstruction[],
  stages: readonly StageNode[],
  byName: ReadonlyMap<string, number>,
  where: { file: string; source: string; escapeToken: EscapeToken },
): void {
  const addImage = (ref: string) => {
    if (!node.copiedImages.includes(ref)) node.copiedImages.push(ref);
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
          throw syntaxErrorAt(where, instruction.node.range.start, `invalid stage index ${from}: the Dockerfile has stages 0 to ${stages.length - 1}`);
        }
        node.dependencies.push({ stage: index, kind: 'copy', position: instruction.node.range.start });
      } else {
        const stage = byName.get(from.toLowerCase());
        if (stage !== undefined) node.dependencies.push({ stage, kind: 'copy', position: instruction.node.range.start });
        else addImage(from);
      }
    }
    if (instruction.kind === 'RUN') {
      for (const mount of instruction.mounts) {
        if (mount.from === '') continue;
        const stage = byName.get(mount.from.toLowerCase());
        if (stage !== undefined) node.dependencies.push({ stage, kind: 'mount', position: instruction.node.range.start });
        else addImage(mount.from);
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
    throw new PlanError(withSuggestion(`target stage ${JSON.stringify(target)} could not be found${known}`, target, names));
  }
  return graph.stages[index];
}

/** Stages the target needs, itself included, in file order. Unneeded stages are never built or checked. */
export function reachableStages(graph: StageGraph, target: StageNode): StageNode[] {
  const seen = new Set<number>();
  const visit = (index: number) => {
    if (seen.has(index)) return;
    seen.add(index);
    for (const dependency of graph.stages[index].dependencies) visit(dependency.stage);
  };
  visit(target.index);
  return graph.stages.filter((stage) => seen.has(stage.index));
}

/**
 * Checks the reachable stages' references: a stage can only read stages defined above it
 * (a reference below is either a cycle or an ordering mistake; both are named).
 */
export function validateReferences(graph: StageGraph, stages: readonly StageNode[], where: { file: string; source: string }): void {
  for (const stage of stages) {
    for (const dependency of stage.dependencies) {
      if (dependency.stage < stage.index) continue;
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

function findCycle(graph: StageGraph, start: number): number[] | undefined {
  const path: number[] = [];
  const onPath = new Set<number>();
  const done = new Set<number>();
  const visit = (index: number): number[] | undefined => {
    if (onPath.has(index)) return [...path.slice(path.indexOf(index)), index];
    if (done.has(index)) return undefined;
    onPath.add(index);
    path.push(index);
    for (const dependency of graph.stages[index].dependencies) {
      const cycle = visit(dependency.stage);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(index);
    done.add(index);
    return undefined;
  };
  return visit(start);
}

/**
 * Groups stages into levels: a stage's level is one more than the deepest stage it needs,
 * so every stage in a level can run at the same time once the levels above are done.
 */
export function parallelLevels(stages: readonly StageNode[]): StageNode[][] {
  const included = new Map(stages.map((stage) => [stage.index, stage]));
  const levelOf = new Map<number, number>();
  const level = (stage: StageNode): number => {
    const known = levelOf.get(stage.index);
    if (known !== undefined) return known;
    levelOf.set(stage.index, 0); // guards against cycles; validateReferences reports them
    let deepest = -1;
    for (const dependency of stage.dependencies) {
      const other = included.get(dependency.stage);
      if (other && other !== stage) deepest = Math.max(deepest, level(other));
    }
    levelOf.set(stage.index, deepest + 1);
    return deepest + 1;
  };
  const levels: StageNode[][] = [];
  for (const stage of stages) {
    const n = level(stage);
    (levels[n] ??= []).push(stage);
  }
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
