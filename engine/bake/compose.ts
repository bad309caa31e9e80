// Compose files as bake files: every service with a `build:` section is a target named after the
// service, its `image:` the first tag, all of them in the default group. Keys are compose's own
// (snake_case), each type-checked like msbuild's.
import { FieldReader, isMapping, type YamlMapping } from './fields.js';
import { networkModes, type BakeFile, type RawTarget } from './target.js';

const buildKeys = ['context', 'dockerfile', 'args', 'target', 'labels', 'cache_from', 'cache_to', 'network', 'tags', 'platforms', 'no_cache', 'pull'] as const;

export function parseCompose(root: YamlMapping, reader: FieldReader, base: string): BakeFile {
  const targets = new Map<string, RawTarget>();
  const services = reader.mapping(root, 'services', 'at the top') ?? {};
  for (const [name, raw] of Object.entries(services)) {
    const service = raw === null ? {} : raw;
    if (!isMapping(service)) throw reader.error(services, name, `service ${name} must be a mapping`);
    if (service.build === undefined) continue;
    const where = `in the build section of service ${name}`;
    // `build: ./dir` is the context alone.
    const build: YamlMapping = typeof service.build === 'string' ? { context: service.build } : (reader.mapping(service, 'build', `in service ${name}`, 'a string or a mapping') ?? {});
    reader.onlyKeys(build, buildKeys, where);
    const image = reader.string(service, 'image', `in service ${name}`);
    const cacheTo = reader.stringList(build, 'cache_to', where) ?? [];
    if (cacheTo.length > 1) throw reader.error(build, 'cache_to', `"cache_to" ${where}: msbuild exports one cache, not ${cacheTo.length}`);
    const platforms = reader.stringList(build, 'platforms', where) ?? [];
    const pull = reader.boolean(build, 'pull', where);
    targets.set(name, {
      context: reader.string(build, 'context', where) ?? '.',
      dockerfile: reader.string(build, 'dockerfile', where),
      target: reader.string(build, 'target', where),
      args: reader.stringMap(build, 'args', where),
      labels: reader.stringMap(build, 'labels', where),
      tags: [...(image !== undefined ? [image] : []), ...(reader.stringList(build, 'tags', where) ?? [])],
      'no-cache': reader.boolean(build, 'no_cache', where),
      'cache-from': reader.stringList(build, 'cache_from', where),
      'cache-to': cacheTo[0],
      network: reader.oneOf(build, 'network', where, networkModes),
      // Compose's `pull: true` is `--pull always`; false leaves msbuild's default.
      pull: pull === true ? 'always' : undefined,
      platform: platforms[0],
    });
  }
  return { targets, groups: new Map([['default', [...targets.keys()]]]), base, origins: new Map() };
}
