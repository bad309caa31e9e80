// msbuild's own bake format (`msbuild.yaml`: `targets:`, `groups:`, `default:`), read into buildx's
// target model: `outputs` are `output`, `platform` one of `platforms`, `cache-to` one entry. Unknown
// keys and wrong types are errors with their line, in block and flow style alike.
import yaml from 'js-yaml';
import { isAbsolute, relative, resolve } from 'node:path';
import { BakeError } from './errors.js';
import { describe, FieldReader, isMapping, type YamlMapping } from './fields.js';
import { cacheEntries, outputEntry, type BakeConfig, type Group, type Target } from './target.js';
import { loadWithLines } from './yaml-lines.js';

const topKeys = ['targets', 'groups', 'default'] as const;
const targetKeys = [
  'inherits',
  'context',
  'dockerfile',
  'target',
  'args',
  'labels',
  'tags',
  'no-cache',
  'outputs',
  'cache-from',
  'cache-to',
  'platform',
  'network',
  'pull',
] as const;
const pullPolicies = ['always', 'missing', 'never'] as const;

function readTarget(name: string, reader: FieldReader, node: YamlMapping, rebase: (path: string) => string): Target {
  const where = `in target ${name}`;
  reader.onlyKeys(node, targetKeys, where);
  const pull = reader.oneOf(node, 'pull', where, pullPolicies);
  if (pull === 'never')
    throw reader.error(node, 'pull', `"pull: never" is a command-line policy: run msbuild bake --pull never`);
  const outputs = reader.stringList(node, 'outputs', where);
  const cacheFrom = reader.stringList(node, 'cache-from', where);
  const cacheTo = reader.string(node, 'cache-to', where);
  const platform = reader.string(node, 'platform', where);
  const entries: Partial<Target> = {
    inherits: reader.stringList(node, 'inherits', where),
    // Relative to the file (msbuild.yaml's rule), written relative to the working directory (bake's).
    context: ((context) => (context === undefined ? undefined : rebase(context)))(
      reader.string(node, 'context', where),
    ),
    dockerfile: reader.string(node, 'dockerfile', where),
    target: reader.string(node, 'target', where),
    args: reader.stringMap(node, 'args', where),
    labels: reader.stringMap(node, 'labels', where),
    tags: reader.stringList(node, 'tags', where),
    'no-cache': reader.boolean(node, 'no-cache', where),
    output: outputs?.map(outputEntry),
    'cache-from': cacheFrom?.flatMap((spec) =>
      spec.includes('=') ? cacheEntries(spec) : [{ type: 'local', src: spec }],
    ),
    'cache-to':
      cacheTo !== undefined
        ? cacheTo.includes('=')
          ? cacheEntries(cacheTo)
          : [{ type: 'local', dest: cacheTo }]
        : undefined,
    platforms: platform !== undefined ? [platform] : undefined,
    network: reader.string(node, 'network', where),
    pull: pull === undefined ? undefined : pull === 'always',
  };
  return {
    name,
    ...(Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Partial<Target>),
  };
}

/** Parses an msbuild.yaml; contexts are relative to `base` (the file's directory). */
export function parseMsbuildYaml(text: string, file: string, base: string, cwd = process.cwd()): BakeConfig {
  const rebase = (context: string) => (isAbsolute(context) ? context : relative(cwd, resolve(base, context)) || '.');
  let loaded: ReturnType<typeof loadWithLines>;
  try {
    loaded = loadWithLines(text, file);
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    const { mark, reason } = error;
    if (mark === undefined || mark === null) throw new BakeError(`${file}: ${reason}`);
    throw new BakeError(`${file}:${mark.line + 1}:${mark.column + 1}: ${reason}`, mark.snippet || undefined);
  }
  const { document, lines } = loaded;
  const reader = new FieldReader(file, lines);
  if (!isMapping(document)) throw new BakeError(`${file}: expected a mapping at the top`);
  reader.onlyKeys(document, topKeys, 'at the top');
  const targets: Target[] = [];
  const targetNodes = reader.mapping(document, 'targets', 'at the top') ?? {};
  for (const [name, raw] of Object.entries(targetNodes)) {
    const node = raw === null ? {} : raw;
    if (!isMapping(node))
      throw reader.error(targetNodes, name, `target ${name} must be a mapping, not ${describe(raw)}`);
    targets.push(readTarget(name, reader, node, rebase));
  }
  // msbuild.yaml's default context is the file's directory (bake's is the working directory).
  const hasContext = (target: Target, seen: string[] = []): boolean =>
    target.context !== undefined ||
    (target.inherits ?? []).some((parent) => {
      const found = targets.find((candidate) => candidate.name === parent);
      return found !== undefined && !seen.includes(parent) && hasContext(found, [...seen, parent]);
    });
  for (const target of targets) if (!hasContext(target)) target.context = rebase('.');
  const groups: Group[] = [];
  const groupNodes = reader.mapping(document, 'groups', 'at the top') ?? {};
  for (const [name, raw] of Object.entries(groupNodes)) {
    if (isMapping(raw)) {
      reader.onlyKeys(raw, ['targets'], `in group ${name}`);
      groups.push({ name, targets: reader.stringList(raw, 'targets', `in group ${name}`) ?? [] });
    } else {
      const members = reader.stringList(
        groupNodes,
        name,
        'in groups',
        'a list of targets and groups, or a mapping with "targets"',
      );
      groups.push({ name, targets: members ?? [] });
    }
  }
  const fallback = reader.stringList(document, 'default', 'at the top');
  if (fallback !== undefined) groups.push({ name: 'default', targets: fallback });
  // msbuild.yaml's rule: without a default group, every target is built.
  if (!groups.some((group) => group.name === 'default'))
    groups.push({ name: 'default', targets: targets.map((target) => target.name) });
  return { targets, groups };
}
