#!/usr/bin/env node
// House rules tsc cannot check: no `any` in engine code, every source file opens with a comment on what it owns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const problems = [];
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}
for (const file of walk('engine').filter((f) => f.endsWith('.ts'))) {
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (/(:\s*any\b|\bas any\b|<any>|any\[\])/.test(line.replace(/\/\/.*$/, '')))
      problems.push(`${file}:${i + 1}: \`any\` in engine code`);
  });
}
for (const file of [...walk('engine'), ...walk('cli')].filter((f) => f.endsWith('.ts'))) {
  const first = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.trim() !== '' && !l.startsWith('#!'));
  if (!first || !first.startsWith('//')) problems.push(`${file}:1: missing the opening comment on what the file owns`);
}
for (const p of problems) console.log(p);
console.log(problems.length === 0 ? 'lint: ok' : `lint: ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
