// `bake --print`: the resolved targets written as a bake file, under the file's own key names, so
// the output can be read back (`msbuild bake -f printed.yaml`) and builds the same targets.
import yaml from 'js-yaml';
import { fileKeys, type BakeTarget } from './target.js';

export function printBake(targets: readonly BakeTarget[]): string {
  const written = Object.fromEntries(
    targets.map((target) => {
      const keys = Object.entries(fileKeys) as Array<[keyof typeof fileKeys, (typeof fileKeys)[keyof typeof fileKeys]]>;
      return [target.name, Object.fromEntries(keys.flatMap(([field, key]) => (target[field] !== undefined ? [[key, target[field]]] : [])))];
    }),
  );
  // No anchors (`&a`/`*a`) for repeated values: each target reads on its own.
  return yaml.dump({ targets: written }, { noRefs: true, lineWidth: -1 });
}
