// What build checks need to know of a step that only its dispatch sees (the environment as it was when
// the step expanded): the variables it used that were not set, the relative WORKDIR, the ENV keys.
import type { ExpansionResult } from '../expand/lex.js';
import { searchSuggestion } from '../instructions/suggest.js';

export interface UndefinedVariable {
  name: string;
  /** The closest name that was set, as BuildKit suggests it. */
  suggestion?: string;
}

export interface StepLintFacts {
  undefinedVars?: UndefinedVariable[];
  /** A WORKDIR's expanded path, when it is relative and no WORKDIR before it (in the stage's chain) set one. */
  relativeWorkdir?: string;
  /** An ENV's keys as expanded. */
  envKeys?: string[];
  /** An EXPOSE's port specs as expanded. */
  exposePorts?: string[];
}

/** Args BuildKit never puts in the environment, and so never reports as undefined. */
const nonEnvArgs = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

/**
 * BuildKit's reportUnmatchedVariables: the unset variables minus ARGs declared (even without a value)
 * and the non-env args, each with a suggestion among the names that were set.
 */
export function undefinedVariables(
  unmatched: ReadonlySet<string>,
  declaredArgs: ReadonlyArray<{ key: string }>,
  env: ReadonlyMap<string, string>,
): UndefinedVariable[] {
  const declared = new Set(declaredArgs.map((arg) => arg.key));
  const found: UndefinedVariable[] = [];
  for (const name of unmatched) {
    if (declared.has(name) || nonEnvArgs.has(name)) continue;
    const suggestion = searchSuggestion(name, env.keys());
    found.push({ name, ...(suggestion !== undefined ? { suggestion } : {}) });
  }
  return found;
}

/** Collects one step's facts while it dispatches. */
export class StepLintRecorder {
  private readonly unmatched = new Set<string>();
  /** The names set when the first unset one was met (the suggestions' candidates). */
  private setNames: Map<string, string> | undefined;
  readonly facts: StepLintFacts = {};

  /** Notes an expansion's unset variables; returns its value. */
  note(result: ExpansionResult, env: ReadonlyMap<string, string>): string {
    if (result.unmatched.size > 0) {
      this.setNames ??= new Map(env);
      for (const name of result.unmatched) this.unmatched.add(name);
    }
    return result.value;
  }

  /** An ARG default's unset variables, judged against the ARGs declared before it (BuildKit reports per ARG). */
  noteArg(result: ExpansionResult, env: ReadonlyMap<string, string>, declaredBefore: ReadonlyArray<{ key: string }>) {
    const found = undefinedVariables(result.unmatched, declaredBefore, env);
    if (found.length > 0) this.facts.undefinedVars = [...(this.facts.undefinedVars ?? []), ...found];
    return result.value;
  }

  /** The facts, with the unset variables of every other expansion judged against the ARGs declared now. */
  finish(declaredArgs: ReadonlyArray<{ key: string }>): StepLintFacts | undefined {
    if (this.unmatched.size > 0) {
      const found = undefinedVariables(this.unmatched, declaredArgs, this.setNames ?? new Map());
      if (found.length > 0) this.facts.undefinedVars = [...(this.facts.undefinedVars ?? []), ...found];
    }
    return Object.keys(this.facts).length > 0 ? this.facts : undefined;
  }
}
