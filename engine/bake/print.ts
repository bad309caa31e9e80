// `bake --print` in buildx's JSON shape: `{"group": {...}, "target": {...}}`, both keyed and sorted by
// name as Go writes maps, each target's attributes in buildx's order, indented by two spaces, with
// <, > and & escaped as Go's encoder escapes them.
import type { ResolvedBake } from './config.js';
import { printedTarget } from './target.js';

const byName = <T>(map: ReadonlyMap<string, T>) =>
  [...map.keys()].sort().map((name) => [name, map.get(name) as T] as const);

export function printBake(resolved: ResolvedBake): string {
  const group = Object.fromEntries(
    byName(resolved.groups).map(([name, value]) => [
      name,
      { ...(value.description ? { description: value.description } : {}), targets: value.targets },
    ]),
  );
  const target = Object.fromEntries(byName(resolved.targets).map(([name, value]) => [name, printedTarget(value)]));
  const definition = { ...(Object.keys(group).length > 0 ? { group } : {}), target };
  return `${JSON.stringify(definition, null, 2).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`;
}
