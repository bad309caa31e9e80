// Which checks run and what a violation does, as BuildKit's linter decides it: the `# check=` directive
// (skip=RULES|all; error=true; experimental=RULES|all), the BUILDKIT_DOCKERFILE_CHECK build arg that
// replaces it, a `# check=` comment right above an instruction (skips for that instruction only), and
// the warnings found, each with the rule, its message and where it is.
import type { SourceRange } from '../dockerfile/ast.js';
import { MsbuildError } from '../errors.js';
import type { LintRule } from './rules.js';

export interface CheckConfig {
  skipAll: boolean;
  skip: ReadonlySet<string>;
  experimentalAll: boolean;
  experimental: ReadonlySet<string>;
  /** `error=true`: a build with a violation fails (after the checks, before any work). */
  error: boolean;
}

export const defaultCheckConfig: CheckConfig = {
  skipAll: false,
  skip: new Set(),
  experimentalAll: false,
  experimental: new Set(),
  error: false,
};

/** A `check` value BuildKit would not parse. */
export class CheckOptionError extends MsbuildError {
  override readonly name = 'CheckOptionError';
  override readonly code = 'MSBUILD_CHECK_OPTION';
}

const names = (value: string) => value.split(',').map((name) => name.trim());

/** BuildKit's ParseLintOptions: `skip=A,B;error=true;experimental=C` (at most three parts). */
export function parseCheckOptions(text: string): CheckConfig {
  const trimmed = text.trim();
  if (trimmed === '') return defaultCheckConfig;
  // Go's SplitN(s, ";", 3): a third part keeps any further semicolons.
  const split = trimmed.split(';');
  const parts = split.length > 3 ? [...split.slice(0, 2), split.slice(2).join(';')] : split;
  let config: CheckConfig = { ...defaultCheckConfig };
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals < 0) throw new CheckOptionError(`invalid check option ${JSON.stringify(part)}`);
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    switch (key) {
      case 'skip':
        config = value === 'all' ? { ...config, skipAll: true } : { ...config, skip: new Set(names(value)) };
        break;
      case 'experimental':
        config =
          value === 'all' ? { ...config, experimentalAll: true } : { ...config, experimental: new Set(names(value)) };
        break;
      case 'error': {
        const parsed = goBool(value);
        if (parsed === undefined)
          throw new CheckOptionError(
            `failed to parse check option ${JSON.stringify(part)}: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
          );
        config = { ...config, error: parsed };
        break;
      }
      default:
        throw new CheckOptionError(`invalid check option ${JSON.stringify(key)}`);
    }
  }
  return config;
}

function goBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** BuildKit's WithMergedConfig: skips and experimental rules add up; `error` stays the file's. */
function merged(base: CheckConfig, other: CheckConfig): CheckConfig {
  return {
    skipAll: base.skipAll || other.skipAll,
    skip: new Set([...base.skip, ...other.skip]),
    experimentalAll: base.experimentalAll || other.experimentalAll,
    experimental: new Set([...base.experimental, ...other.experimental]),
    error: base.error,
  };
}

/** The config of the file's `# check=` directive, or of BUILDKIT_DOCKERFILE_CHECK, which replaces it. */
export function fileCheckConfig(directive: string | undefined, buildArg: string | undefined): CheckConfig {
  if (buildArg !== undefined) return parseCheckOptions(buildArg);
  return parseCheckOptions(directive ?? '');
}

export interface LintWarning {
  rule: string;
  description: string;
  url: string;
  /** The message, as BuildKit words it. */
  message: string;
  file: string;
  /** Where the instruction (or line) it is about is. */
  range: SourceRange;
}

/** `Rule: message (line N)`, BuildKit's short form shown after a build. */
export function shortWarning(warning: LintWarning): string {
  return `${warning.rule}: ${warning.message} (line ${warning.range.start.line})`;
}

/** Runs rules under a config and keeps what they found. */
export class Linter {
  constructor(
    private readonly config: CheckConfig,
    private readonly file: string,
    private readonly found: LintWarning[] = [],
  ) {}

  /** This linter with the `# check=` comment right above an instruction applied (for that instruction). */
  withComments(comments: readonly string[]): Linter {
    for (const comment of comments) {
      const match = /^\s*check\s*=\s*(.*)$/i.exec(comment);
      if (!match) continue;
      // As BuildKit reads it: the value ends at the first space (`# check=skip=X // why`).
      const value = match[1].trim().split(' ')[0];
      try {
        return new Linter(merged(this.config, parseCheckOptions(value)), this.file, this.found);
      } catch {
        return this;
      }
    }
    return this;
  }

  run(rule: LintRule, range: SourceRange, message: string): void {
    if (rule.experimental) {
      if (!this.config.experimentalAll && !this.config.experimental.has(rule.name)) return;
    } else if (this.config.skipAll || this.config.skip.has(rule.name)) return;
    this.found.push({ rule: rule.name, description: rule.description, url: rule.url, message, file: this.file, range });
  }

  /** What was found, in Dockerfile order. */
  get warnings(): LintWarning[] {
    return [...this.found].sort((a, b) => a.range.start.line - b.range.start.line);
  }

  /** BuildKit's `lint violation found for rules: …` when `error=true` and something was found. */
  violation(): string | undefined {
    if (!this.config.error || this.found.length === 0) return undefined;
    return `lint violation found for rules: ${[...new Set(this.found.map((w) => w.rule))].join(', ')}`;
  }
}
