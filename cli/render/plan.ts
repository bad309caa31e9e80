// Renders a build plan for `msbuild plan`: text for people, JSON for tools, DOT and Mermaid for pictures.
import type { BuildPlan, StagePlan } from '../../engine/plan/plan.js';

export type PlanFormat = 'text' | 'json' | 'dot' | 'mermaid';

function baseLabel(plan: BuildPlan, stage: StagePlan): string {
  const base = stage.node.base;
  if (base.kind === 'stage') return `stage ${plan.graph.stages[base.stage].displayName}`;
  if (base.kind === 'scratch') return 'scratch';
  return `image ${base.ref}`;
}

function dependencyNames(plan: BuildPlan, stage: StagePlan): string[] {
  const names = new Set(stage.node.dependencies.map((d) => plan.graph.stages[d.stage].displayName));
  return [...names];
}

/** Steps as progress numbers them: `[name i/n] TEXT`, metadata steps unnumbered. */
function stepLines(stage: StagePlan): string[] {
  const total = stage.steps.filter((s) => s.counted).length + (stage.node.base.kind === 'image' ? 1 : 0);
  let index = stage.node.base.kind === 'image' ? 1 : 0;
  const lines: string[] = [];
  if (stage.node.base.kind === 'image')
    lines.push(`[${stage.node.displayName} 1/${total}] FROM ${stage.node.baseName}`);
  for (const step of stage.steps) {
    const prefix = step.onbuild ? '(onbuild) ' : '';
    if (step.counted) lines.push(`[${stage.node.displayName} ${++index}/${total}] ${prefix}${step.displayText}`);
    else lines.push(`    ${prefix}${step.displayText}`);
  }
  return lines;
}

export function renderPlan(plan: BuildPlan, format: PlanFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(planJson(plan), null, 2);
    case 'dot':
      return planDot(plan);
    case 'mermaid':
      return planMermaid(plan);
    case 'text':
      return planText(plan);
  }
}

function planJson(plan: BuildPlan) {
  return {
    target: plan.target.displayName,
    platform: [plan.platform.os, plan.platform.architecture, plan.platform.variant].filter(Boolean).join('/'),
    stages: plan.stages.map((stage) => ({
      index: stage.node.index,
      name: stage.node.displayName,
      base:
        stage.node.base.kind === 'stage'
          ? { stage: plan.graph.stages[stage.node.base.stage].displayName }
          : stage.node.base,
      dependsOn: dependencyNames(plan, stage),
      baseConfigKnown: stage.baseKnown,
      steps: stage.steps.map((step) => ({
        instruction: step.instruction.kind,
        text: step.displayText,
        line: step.instruction.range.start.line,
        executes: step.action.kind !== 'config',
        onbuild: step.onbuild,
      })),
    })),
    levels: plan.levels.map((level) => level.map((index) => plan.graph.stages[index].displayName)),
    externalImages: plan.externalImages,
    unusedBuildArgs: plan.unusedBuildArgs,
  };
}

function planText(plan: BuildPlan): string {
  const out: string[] = [];
  out.push(`target: ${plan.target.displayName}`);
  out.push(`stages: ${plan.stages.length} of ${plan.graph.stages.length} needed`);
  for (const stage of plan.stages) {
    const deps = dependencyNames(plan, stage);
    out.push('');
    out.push(
      `stage ${stage.node.displayName} (from ${baseLabel(plan, stage)})${deps.length ? `, needs: ${deps.join(', ')}` : ''}`,
    );
    for (const line of stepLines(stage)) out.push(`  ${line}`);
    if (!stage.baseKnown) out.push('  (base image config not read: variables from its ENV are shown unexpanded)');
  }
  out.push('');
  out.push('parallel levels:');
  plan.levels.forEach((level, i) => {
    const names = level.map((index) => plan.graph.stages[index].displayName);
    out.push(`  ${i + 1}: ${names.join(', ')}${names.length > 1 ? '  (run at once)' : ''}`);
  });
  out.push('');
  out.push(`external images: ${plan.externalImages.length ? plan.externalImages.join(', ') : '(none)'}`);
  const skipped = plan.graph.stages.filter((s) => !plan.stages.some((p) => p.node.index === s.index));
  if (skipped.length > 0) out.push(`not needed for this target: ${skipped.map((s) => s.displayName).join(', ')}`);
  if (plan.unusedBuildArgs.length > 0)
    out.push(`warning: build args not used by any stage: ${plan.unusedBuildArgs.join(', ')}`);
  return out.join('\n');
}

function quoteId(text: string): string {
  return JSON.stringify(text);
}

function edges(plan: BuildPlan): Array<{ from: string; to: string; kind: string }> {
  const result: Array<{ from: string; to: string; kind: string }> = [];
  for (const stage of plan.stages) {
    const to = stage.node.displayName;
    if (stage.node.base.kind === 'image') result.push({ from: `image:${stage.node.base.ref}`, to, kind: 'from' });
    for (const image of stage.node.copiedImages) result.push({ from: `image:${image}`, to, kind: 'copy' });
    const seen = new Set<string>();
    for (const dependency of stage.node.dependencies) {
      const from = plan.graph.stages[dependency.stage].displayName;
      const key = `${from}/${dependency.kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      result.push({ from, to, kind: dependency.kind });
    }
  }
  return result;
}

function planDot(plan: BuildPlan): string {
  const out = ['digraph plan {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  for (const image of plan.externalImages)
    out.push(`  ${quoteId(`image:${image}`)} [label=${quoteId(image)}, shape=ellipse];`);
  for (const stage of plan.stages) {
    const runs = stage.steps.filter((s) => s.action.kind !== 'config').length;
    const style = stage.node.index === plan.target.index ? ', penwidth=2' : '';
    out.push(
      `  ${quoteId(stage.node.displayName)} [label=${quoteId(`${stage.node.displayName}\\n${runs} steps`)}${style}];`,
    );
  }
  for (const edge of edges(plan)) {
    const style = edge.kind === 'from' ? '' : ` [style=dashed, label=${quoteId(edge.kind)}]`;
    out.push(`  ${quoteId(edge.from)} -> ${quoteId(edge.to)}${style};`);
  }
  out.push('}');
  return out.join('\n');
}

function planMermaid(plan: BuildPlan): string {
  const ids = new Map<string, string>();
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size}`);
    return ids.get(name) as string;
  };
  const label = (text: string) => text.replace(/"/g, '#quot;');
  const out = ['flowchart LR'];
  for (const image of plan.externalImages) out.push(`  ${id(`image:${image}`)}(["${label(image)}"])`);
  for (const stage of plan.stages) out.push(`  ${id(stage.node.displayName)}["${label(stage.node.displayName)}"]`);
  for (const edge of edges(plan)) {
    const arrow = edge.kind === 'from' ? '-->' : `-. ${edge.kind} .->`;
    out.push(`  ${id(edge.from)} ${arrow} ${id(edge.to)}`);
  }
  return out.join('\n');
}
