// Bake definitions as buildx loads them (bake/bake.go): the files (given with -f, BUILDX_BAKE_FILE or
// found in buildx's lookup order, all of those merged), each read as compose, HCL, JSON or msbuild's
// own YAML; then the requested targets and groups resolved: inheritance, `--set` overrides, defaults
// (context ".", dockerfile "Dockerfile"), targets linked through `target:` contexts, and the default
// group of what was asked for.
import yaml from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatPlatform, hostPlatform } from '../plan/args.js';
import { composeLookup, parseComposeFiles } from './compose.js';
import { BakeError } from './errors.js';
import { HclConfig, parseHclFile, type HclFile, type VariableInfo } from './hcl-config.js';
import { parseMsbuildYaml } from './msbuild-yaml.js';
import { applyOverrides, parseOverrides } from './overrides.js';
import { mergeTarget, normalizeTarget, type BakeConfig, type Group, type Target } from './target.js';

export { BakeError } from './errors.js';
export type { BakeConfig, Group, Target } from './target.js';

/** buildx's default files, in its order (msbuild's own first); every one found is read. */
export const defaultBakeFiles = [
  'msbuild.yaml',
  'msbuild.yml',
  'compose.yaml',
  'compose.yml',
  'docker-compose.yml',
  'docker-compose.yaml',
  'docker-bake.json',
  'docker-bake.hcl',
  'docker-bake.override.json',
  'docker-bake.override.hcl',
];

export interface BakeFileText {
  name: string;
  text: string;
}

export interface LoadOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--var name=value`: overrides of the files' variables. */
  vars?: ReadonlyMap<string, string>;
  /** What `-f -` reads. */
  stdin?: () => string;
}

/**
 * The files to read: `-f` values, else BUILDX_BAKE_FILE (separated by BUILDX_BAKE_PATH_SEPARATOR or
 * `:`), else those found in buildx's order (COMPOSE_FILE's files in place of compose's default names).
 */
export function readBakeFiles(names: readonly string[] | undefined, options: LoadOptions = {}): BakeFileText[] {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let given = names && names.length > 0 ? [...names] : undefined;
  if (!given && env.BUILDX_BAKE_FILE)
    given = env.BUILDX_BAKE_FILE.split(env.BUILDX_BAKE_PATH_SEPARATOR || ':').filter(Boolean);
  if (!given) {
    // COMPOSE_FILE (compose's own variable) names the compose files in place of compose's defaults.
    const composeFiles = env.COMPOSE_FILE?.split(env.COMPOSE_PATH_SEPARATOR || ':').filter(Boolean);
    const candidates = composeFiles
      ? [...composeFiles, ...defaultBakeFiles.filter((name) => !/compose\.ya?ml$/.test(name))]
      : defaultBakeFiles;
    const found = candidates.filter((name) => existsSync(resolve(cwd, name)));
    if (found.length === 0)
      throw new BakeError(
        `couldn't find a bake definition: give -f FILE or create one of ${defaultBakeFiles.join(', ')}`,
      );
    given = found;
  }
  return given.map((name) => {
    if (name === '-') return { name: '-', text: options.stdin ? options.stdin() : readFileSync(0, 'utf8') };
    try {
      return { name, text: readFileSync(resolve(cwd, name), 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new BakeError(`cannot read ${name}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  });
}

type Kind = 'compose' | 'msbuild' | 'hcl';

/** What a file is: its extension says, else its content (compose when it parses as a compose file). */
function kindOf(file: BakeFileText): Kind {
  const lower = file.name.toLowerCase();
  const isYaml = lower.endsWith('.yml') || lower.endsWith('.yaml');
  if (lower.endsWith('.json') || lower.endsWith('.hcl')) return 'hcl';
  let document: unknown;
  try {
    document = yaml.load(file.text);
  } catch (error) {
    if (isYaml) throw new BakeError(`${file.name}: ${(error as Error).message.split('\n')[0]}`);
    return 'hcl';
  }
  const mapping = document !== null && typeof document === 'object' && !Array.isArray(document);
  if (mapping && 'services' in (document as object)) return 'compose';
  if (mapping && /^msbuild\.ya?ml$/.test(lower.split('/').pop() ?? '')) return 'msbuild';
  if (mapping && ['targets', 'groups', 'default'].some((key) => key in (document as object)) && isYaml)
    return 'msbuild';
  return isYaml ? 'compose' : 'hcl';
}

/** buildx's mergeConfig: groups gain members, same-named targets merge (the later over the earlier). */
function mergeConfig(into: BakeConfig, from: BakeConfig): void {
  for (const group of from.groups) {
    const same = into.groups.find((existing) => existing.name === group.name);
    if (same) same.targets = [...new Set([...same.targets, ...group.targets])];
    else into.groups.push({ ...group, targets: [...group.targets] });
  }
  for (const target of from.targets) {
    const same = into.targets.find((existing) => existing.name === target.name);
    if (same) mergeTarget(same, target);
    else into.targets.push(target);
  }
}

export interface LoadedBake {
  config: BakeConfig;
  /** The HCL variables, for `--list variables`. */
  variables: VariableInfo[];
}

/** Parses and merges the files: compose files together, then msbuild's, then HCL and JSON. */
export function parseBakeFiles(files: readonly BakeFileText[], options: LoadOptions = {}): LoadedBake {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const vars = options.vars ?? new Map<string, string>();
  const config: BakeConfig = { targets: [], groups: [] };
  const byKind = (kind: Kind) => files.filter((file) => kindOf(file) === kind);
  const compose = byKind('compose');
  if (compose.length > 0) mergeConfig(config, parseComposeFiles(compose, composeLookup(env, cwd, vars)));
  for (const file of byKind('msbuild'))
    mergeConfig(
      config,
      parseMsbuildYaml(file.text, file.name, file.name === '-' ? cwd : dirname(resolve(cwd, file.name)), cwd),
    );
  const hclFiles: HclFile[] = byKind('hcl').map((file) => parseHclFile(file.text, file.name === '-' ? '-' : file.name));
  let variables: VariableInfo[] = [];
  if (hclFiles.length > 0) {
    const disabled = /^(1|t|true)$/i.test(env.BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP ?? '');
    const hcl = new HclConfig(hclFiles, {
      lookupVar: (name) => vars.get(name) ?? (disabled ? undefined : env[name]),
      builtins: { BAKE_CMD_CONTEXT: cwd, BAKE_LOCAL_PLATFORM: formatPlatform(hostPlatform()) },
    });
    mergeConfig(config, hcl.config());
    variables = hcl.variableList();
  }
  return { config, variables };
}

/** A group's targets, groups inside it expanded (buildx's ResolveGroup), and the groups seen. */
function resolveGroup(
  config: BakeConfig,
  name: string,
  seen = new Set<string>(),
): { targets: string[]; groups: string[] } {
  const group = config.groups.find((candidate) => candidate.name === name);
  if (!group) return { targets: [name], groups: [] };
  if (seen.has(name)) return { targets: [], groups: [] };
  seen.add(name);
  const targets: string[] = [];
  const groups = [name];
  for (const member of group.targets) {
    const inner = resolveGroup(config, member, seen);
    targets.push(...inner.targets);
    groups.push(...inner.groups);
  }
  return { targets: [...new Set(targets)], groups: [...new Set(groups)] };
}

export interface ResolvedBake {
  /** The targets to build (and those linked through `target:` contexts), by name. */
  targets: Map<string, Target>;
  groups: Map<string, Group>;
}

/** buildx's ReadTargets: the requested targets and groups (default: "default"), resolved. */
export function resolveTargets(
  config: BakeConfig,
  requested: readonly string[],
  overrides: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): ResolvedBake {
  const names = (requested.length > 0 ? requested : ['default']).map((name) => name.replace(/\./g, '_'));
  const wanted = [
    ...new Set(
      names.flatMap((pattern) => {
        if (!/[*?[\]]/.test(pattern)) return [pattern];
        const matched = [
          ...config.groups.map((group) => group.name),
          ...config.targets.map((target) => target.name),
        ].filter((name) => globMatch(pattern, name));
        if (matched.length === 0) throw new BakeError(`could not find any target matching ${JSON.stringify(pattern)}`);
        return matched;
      }),
    ),
  ];
  const overridesByTarget = parseOverrides(
    overrides,
    config.targets.map((target) => target.name),
    env,
  );
  const targets = new Map<string, Target>();
  const groups = new Map<string, Group>();
  for (const name of wanted) {
    const resolved = resolveGroup(config, name);
    for (const target of resolved.targets) targets.set(target, resolveTarget(config, target, overridesByTarget));
    for (const group of resolved.groups) {
      const found = config.groups.find((candidate) => candidate.name === group);
      if (found) groups.set(group, found);
    }
  }
  // The default group holds what was asked for (a real default group, when that was asked for).
  for (const name of wanted) {
    const existing = groups.get('default');
    if (existing && name === 'default') continue;
    groups.set('default', { ...(existing ?? { name: 'default' }), targets: [...(existing?.targets ?? []), name] });
  }
  const fallback = groups.get('default');
  if (fallback) groups.set('default', { ...fallback, targets: [...new Set(fallback.targets)].sort() });
  const scope: LinkScope = { config, targets, overrides: overridesByTarget };
  for (const [name, target] of [...targets]) linkTargets(scope, name, target, [name]);
  return { targets, groups };
}

function globMatch(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`).test(name);
}

function resolveTarget(
  config: BakeConfig,
  name: string,
  overrides: ReadonlyMap<string, ReadonlyMap<string, import('./overrides.js').Override>>,
  chain: string[] = [],
): Target {
  const found = config.targets.find((target) => target.name === name);
  if (!found)
    throw new BakeError(
      `failed to find target ${name}${chain.length > 0 ? ` (inherited by ${chain[chain.length - 1]})` : ''}`,
    );
  if (chain.includes(name)) throw new BakeError(`inheritance cycle: ${[...chain, name].join(' -> ')}`);
  const inherited: Target = { name };
  for (const parent of found.inherits ?? []) {
    const resolved = resolveTarget(config, parent, overrides, [...chain, name]);
    mergeTarget(inherited, { ...resolved, name });
  }
  const merged: Target = { name };
  mergeTarget(merged, inherited);
  mergeTarget(merged, structuredClone(found));
  applyOverrides(merged, overrides.get(name));
  normalizeTarget(merged);
  if (chain.length > 0) return merged;
  delete merged.inherits;
  if (merged.context === undefined) merged.context = '.';
  if (!merged.dockerfile) merged.dockerfile = 'Dockerfile';
  return merged;
}

/** A target used as another's context (`target:base`) is resolved too, as a cache-only build. */
interface LinkScope {
  config: BakeConfig;
  /** The targets to build, gaining those linked to. */
  targets: Map<string, Target>;
  overrides: ReadonlyMap<string, ReadonlyMap<string, import('./overrides.js').Override>>;
}

function linkTargets(scope: LinkScope, name: string, target: Target, visited: string[]): void {
  const { config, targets, overrides } = scope;
  for (const value of Object.values(target.contexts ?? {})) {
    if (!value.startsWith('target:')) continue;
    const other = value.slice('target:'.length);
    if (other === name) throw new BakeError(`target ${other} cannot link to itself`);
    if (visited.includes(other)) throw new BakeError(`infinite loop from ${name} to ${other}`);
    let linked = targets.get(other);
    if (!linked) {
      linked = resolveTarget(config, other, overrides);
      linked.output = [{ type: 'cacheonly' }];
      targets.set(other, linked);
    }
    linkTargets(scope, other, linked, [...visited, other]);
    for (const entitlement of linked.entitlements ?? [])
      if (!target.entitlements?.includes(entitlement))
        target.entitlements = [...(target.entitlements ?? []), entitlement];
  }
}
