#!/usr/bin/env node
// House rules tsc cannot check: no `any` in engine code, every source file opens with a comment on what it owns,
// no class with more than 15 fields and no function with more than 4 positional parameters (options objects
// instead; a callback whose parameters its caller sets, as String.replace's, is exempt).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

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
for (const file of [...walk('engine'), ...walk('cli')].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const where = (node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node) => {
    if (ts.isClassLike(node)) {
      const constructor = node.members.find(ts.isConstructorDeclaration);
      const fields =
        node.members.filter(ts.isPropertyDeclaration).length +
        (constructor?.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, constructor)).length ?? 0);
      if (fields > 15)
        problems.push(`${where(node)}: class ${node.name?.text ?? ''} has ${fields} fields (at most 15)`);
    }
    const callback = (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isCallExpression(node.parent);
    if (ts.isFunctionLike(node) && !ts.isFunctionTypeNode(node) && !callback && node.parameters.length > 4)
      problems.push(
        `${where(node)}: ${node.parameters.length} positional parameters (at most 4: take an options object)`,
      );
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const p of problems) console.log(p);
console.log(problems.length === 0 ? 'lint: ok' : `lint: ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
