#!/usr/bin/env node
// The engine's import graph at folder level, checked against its layers: prints every arrow (`a -> b`:
// some file of a imports one of b) and fails when one points up a layer, when two folders import each
// other, or when anything but the workers (engine/docker/, engine/oci/) imports dockerode. `make lint` runs it with --quiet
// (problems and the total only).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * Lowest first. A box may import its own layer's boxes and anything below, never above; `errors`,
 * `util` and `go` are leaves anyone may use. Top-level files are boxes of their own.
 */
const layers = [
  ['errors.ts', 'util', 'go'],
  ['expand', 'registry'],
  ['dockerfile'],
  ['instructions', 'events.ts', 'build-error.ts'],
  ['image', 'context', 'plan'],
  ['worker', 'copy', 'cache', 'lint', 'ssh'],
  ['docker', 'export', 'solver', 'recorder.ts'],
  // The OCI worker stands beside the Docker worker (base images, leases, network holders, loads).
  ['oci'],
  ['steps'],
  ['options.ts'],
  // The orchestrator's parts (preflight, worker choice, planning, solving, finishing) build.ts wires.
  ['orchestrator'],
  ['build.ts', 'check.ts'],
  ['bake'],
  ['index.ts'],
];
const layerOf = new Map(layers.flatMap((boxes, level) => boxes.map((box) => [box, level])));

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `engine/cache/store.ts` → `cache`; `engine/build.ts` → `build.ts`. */
const boxOf = (file) => relative('engine', file).split('/')[0];

const arrows = new Map();
const problems = [];
for (const file of walk('engine')) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
    const spec = match[1];
    // Only the workers talk to the daemon: the Docker worker, and the OCI worker reading its images.
    if (spec === 'dockerode' && boxOf(file) !== 'docker' && boxOf(file) !== 'oci')
      problems.push(`${file}: imports dockerode outside engine/docker/ and engine/oci/`);
    if (!spec.startsWith('.')) continue;
    const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
    if (!target.startsWith('engine/')) continue;
    const [from, to] = [boxOf(file), boxOf(target)];
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    if (!arrows.has(key)) arrows.set(key, file);
  }
}
const quiet = process.argv.includes('--quiet');
for (const [key, file] of [...arrows].sort(([a], [b]) => a.localeCompare(b))) {
  const [from, to] = key.split(' -> ');
  const [fromLayer, toLayer] = [layerOf.get(from), layerOf.get(to)];
  let mark = '';
  if (fromLayer === undefined || toLayer === undefined) mark = `  <- not in the layer table (scripts/imports.mjs)`;
  else if (toLayer > fromLayer) mark = `  <- UP a layer (${file})`;
  else if (arrows.has(`${to} -> ${from}`)) mark = `  <- CYCLE (${file})`;
  if (!quiet) console.log(`${key}${mark}`);
  if (mark !== '') problems.push(`${key}${mark}`);
}
for (const problem of problems) console.error(`imports: ${problem}`);
console.log(
  problems.length === 0 ? `imports: ok (${arrows.size} arrows, none up)` : `imports: ${problems.length} problem(s)`,
);
process.exit(problems.length === 0 ? 0 : 1);
