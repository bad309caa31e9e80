// The build plan: Dockerfile text → stages the target needs, each with its expanded steps and configs,
// grouped into levels that can run in parallel. Needs Docker only to read base images' configs.
import type { DockerfileAst } from '../dockerfile/ast.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import { emptyImageConfig, type ImageConfig } from '../image/config.js';
import { parseDefinition, parseInstruction } from '../instructions/parse.js';
import type { DockerfileDefinition, StageInstruction } from '../instructions/types.js';
import {
  formatPlatform,
  globalArgScope,
  hostPlatform,
  isProxyArg,
  MetaArgError,
  parsePlatform,
  platformArgs,
  type Platform,
} from './args.js';
import { dispatchStage, inheritState, initialState, type DispatchState } from './dispatch.js';
import {
  addInstructionEdges,
  buildStageGraph,
  externalImages,
  parallelLevels,
  reachableStages,
  resolveTarget,
  validateReferences,
  type StageGraph,
  type StageNode,
} from './graph.js';
import { namedContextFor, type NamedContext } from './named-contexts.js';
import type { CopySource, DispatchedStep } from './step.js';

/** What is known of a base image: its config, or nothing when planning without a daemon. */
export type BaseImageResolver = (ref: string, platform: Platform) => Promise<ImageConfig | undefined>;

export interface PlanOptions {
  /** File name used in messages. */
  file?: string;
  target?: string;
  buildArgs?: ReadonlyMap<string, string>;
  /** `--platform` of the build (defaults to the host's). */
  platform?: string;
  resolveBaseImage?: BaseImageResolver;
  /** `--build-context` NAME → what replaces the stage or image of that name. */
  namedContexts?: ReadonlyMap<string, NamedContext>;
  /** Plan every stage, not just those the target needs (what `--check` looks at without a target). */
  allStages?: boolean;
}

export interface StagePlan {
  node: StageNode;
  /** ONBUILD triggers inherited from the base, run before the stage's own instructions. */
  triggers: StageInstruction[];
  steps: DispatchedStep[];
  /** The stage's starting config: the base image's, the base stage's, or scratch. */
  start: DispatchState;
  final: DispatchState;
  /** False when the base image's config could not be read (plans made without a daemon). */
  baseKnown: boolean;
}

export interface BuildPlan {
  ast: DockerfileAst;
  definition: DockerfileDefinition;
  graph: StageGraph;
  target: StageNode;
  /** Stages the target needs, in file order. */
  stages: StagePlan[];
  /** Stage indexes by level: every stage of a level can run once the levels before it are done. */
  levels: number[][];
  /** Images the build reads from the daemon (FROM images and COPY --from images). */
  externalImages: string[];
  globalArgs: ReadonlyMap<string, string>;
  buildArgs: ReadonlyMap<string, string>;
  /** Build args no reachable stage declares (Docker warns about them). */
  unusedBuildArgs: string[];
  platform: Platform;
}

export async function planBuild(source: string, options: PlanOptions = {}): Promise<BuildPlan> {
  const ast = parseDockerfile(source, { file: options.file ?? 'Dockerfile' });
  return planFromAst(ast, options);
}

export async function planFromAst(ast: DockerfileAst, options: PlanOptions = {}): Promise<BuildPlan> {
  const where = { file: ast.file, source: ast.source };
  const definition = parseDefinition(ast);
  const buildArgs = options.buildArgs ?? new Map<string, string>();
  const build = hostPlatform();
  let platform = build;
  if (options.platform) {
    try {
      platform = parsePlatform(options.platform);
    } catch (error) {
      throw syntaxErrorAt(where, { line: 1, column: 1 }, (error as Error).message);
    }
  }
  const targetName = options.target ?? '';
  const lastStage = definition.stages[definition.stages.length - 1];
  const predefined = platformArgs(build, platform, targetName || lastStage.from.stageName, buildArgs);
  let globalArgs: Map<string, string>;
  try {
    globalArgs = globalArgScope(definition.metaArgs, buildArgs, predefined, ast.escapeToken);
  } catch (error) {
    if (error instanceof MetaArgError) throw syntaxErrorAt(where, error.instruction.node.argsPosition, error.message);
    throw error;
  }
  const graph = buildStageGraph(definition, {
    file: ast.file,
    source: ast.source,
    escapeToken: ast.escapeToken,
    globalArgs,
    ...(options.namedContexts ? { namedContexts: options.namedContexts } : {}),
  });
  const target = resolveTarget(graph, options.target);

  // Base configs can add ONBUILD triggers, and triggers can add stages: resolve until nothing changes.
  const baseConfigs = new Map<string, ImageConfig | undefined>();
  const triggersOf = new Map<number, StageInstruction[]>();
  let reachable: StageNode[];
  for (;;) {
    reachable = options.allStages ? graph.stages : reachableStages(graph, target);
    let changed = false;
    for (const stage of reachable) {
      if (triggersOf.has(stage.index)) continue;
      const triggers = await triggersFor(
        stage,
        graph,
        { configs: baseConfigs, resolve: options.resolveBaseImage, platform },
        ast,
      );
      triggersOf.set(stage.index, triggers);
      if (triggers.length > 0) {
        const before = stage.dependencies.length;
        addInstructionEdges(stage, triggers, graph, {
          ...where,
          escapeToken: ast.escapeToken,
          ...(options.namedContexts ? { namedContexts: options.namedContexts } : {}),
        });
        if (stage.dependencies.length !== before) changed = true;
      }
    }
    if (!changed) break;
  }
  validateReferences(graph, reachable, where);
  for (const stage of reachable) checkStagePlatform(stage, [build, platform], where);

  const plans = new Map<number, StagePlan>();
  const copySourceOf = (from: string): CopySource => {
    if (/^-?\d+$/.test(from)) return { kind: 'stage', stage: Number(from) };
    const named = namedContextFor(options.namedContexts, from);
    if (named?.kind === 'dir') return { kind: 'dir', path: named.path };
    const stage = graph.byName.get(from.toLowerCase());
    if (stage !== undefined) return { kind: 'stage', stage };
    if (named?.kind === 'stage') return { kind: 'stage', stage: graph.byName.get(named.stage) as number };
    return { kind: 'image', ref: named?.kind === 'image' ? named.ref : from };
  };
  // Bases first: a `target:` context may make a stage build on one further down the file.
  for (const stage of parallelLevels(reachable).flat()) {
    let start: DispatchState;
    let baseKnown = true;
    if (stage.base.kind === 'stage') {
      const parent = plans.get(stage.base.stage);
      if (!parent)
        throw syntaxErrorAt(where, stage.definition.from.range.start, `stage ${stage.baseName} is not planned`);
      start = inheritState(parent.final);
      baseKnown = parent.baseKnown;
    } else if (stage.base.kind === 'scratch') {
      start = initialState(emptyImageConfig(platform));
    } else {
      const config = baseConfigs.get(stage.base.ref);
      baseKnown = config !== undefined;
      start = initialState(config ?? emptyImageConfig(platform));
    }
    const triggers = triggersOf.get(stage.index) ?? [];
    const dispatched = dispatchStage(
      { name: stage.displayName, triggers, instructions: stage.definition.instructions },
      start,
      {
        file: ast.file,
        source: ast.source,
        escapeToken: ast.escapeToken,
        globalArgs,
        buildArgs,
        platform,
        copySourceOf,
        ...(options.namedContexts ? { namedContexts: options.namedContexts } : {}),
      },
    );
    plans.set(stage.index, {
      node: stage,
      triggers,
      steps: dispatched.steps,
      start,
      final: dispatched.final,
      baseKnown,
    });
  }

  const declared = new Set<string>();
  for (const instruction of definition.metaArgs) for (const arg of instruction.args) declared.add(arg.key);
  for (const plan of plans.values()) for (const arg of plan.final.declaredArgs) declared.add(arg.key);
  const unusedBuildArgs = [...buildArgs.keys()].filter(
    // BUILDKIT_* args configure the frontend (BUILDKIT_DOCKERFILE_CHECK): no stage declares them.
    (key) => !declared.has(key) && !isProxyArg(key) && !predefined.has(key) && !key.startsWith('BUILDKIT_'),
  );

  return {
    ast,
    definition,
    graph,
    target,
    stages: reachable.map((stage) => plans.get(stage.index) as StagePlan),
    levels: parallelLevels(reachable).map((level) => level.map((stage) => stage.index)),
    externalImages: externalImages(reachable),
    globalArgs,
    buildArgs,
    unusedBuildArgs,
    platform,
  };
}

/** ONBUILD triggers a stage inherits: from its base stage's ONBUILD lines, or its base image's config. */
async function triggersFor(
  stage: StageNode,
  graph: StageGraph,
  bases: { configs: Map<string, ImageConfig | undefined>; resolve: BaseImageResolver | undefined; platform: Platform },
  ast: DockerfileAst,
): Promise<StageInstruction[]> {
  const { configs: baseConfigs, resolve, platform } = bases;
  let expressions: string[] = [];
  if (stage.base.kind === 'stage') {
    const parent = graph.stages[stage.base.stage];
    expressions = parent.definition.instructions.flatMap((i) => (i.kind === 'ONBUILD' ? [i.expression] : []));
  } else if (stage.base.kind === 'image') {
    const ref = stage.base.ref;
    if (!baseConfigs.has(ref)) baseConfigs.set(ref, resolve ? await resolve(ref, platform) : undefined);
    expressions = baseConfigs.get(ref)?.config.OnBuild ?? [];
  }
  const from = stage.definition.from;
  return expressions.map((expression) => {
    const triggerAst = parseDockerfile(expression, { file: `${ast.file} (ONBUILD trigger of ${stage.baseName})` });
    if (triggerAst.instructions.length !== 1) {
      throw syntaxErrorAt(
        ast,
        from.range.start,
        `onbuild trigger should be a single expression: ${JSON.stringify(expression)}`,
      );
    }
    const node = { ...triggerAst.instructions[0], range: from.range, argsPosition: from.range.start };
    const instruction = parseInstruction(node, { file: ast.file, source: ast.source });
    if (instruction.kind === 'FROM')
      throw syntaxErrorAt(ast, from.range.start, "FROM isn't allowed as an ONBUILD trigger");
    return instruction;
  });
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (!a.variant || !b.variant || a.variant === b.variant);
}

/**
 * FROM --platform: msbuild runs every stage on the daemon's platform, without emulation, so the build
 * and target platforms are accepted (`--platform=$BUILDPLATFORM` is a common idiom) and others refused.
 */
function checkStagePlatform(stage: StageNode, accepted: readonly Platform[], where: { file: string; source: string }) {
  if (stage.platform === '') return;
  const from = stage.definition.from;
  const at = from.node.flags.find((flag) => flag.text.startsWith('--platform'))?.position ?? from.range.start;
  let wanted: Platform;
  try {
    wanted = parsePlatform(stage.platform);
  } catch (error) {
    throw syntaxErrorAt(where, at, `failed to parse platform ${stage.platform}: ${(error as Error).message}`);
  }
  if (accepted.some((platform) => samePlatform(platform, wanted))) return;
  throw syntaxErrorAt(
    where,
    at,
    `FROM --platform=${stage.platform} is not supported by msbuild: it builds for ${formatPlatform(accepted[0])} only (no emulation)`,
  );
}
