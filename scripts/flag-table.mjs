#!/usr/bin/env node
// `npm run flag-table`: writes the README's flag table from the CLI's option table (cli/flag-table.ts;
// run `make build` first). test/cli/flag-table.test.ts fails when the README's table is not this one.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { withFlagTable } = await import(join(root, 'dist/cli/flag-table.js'));
const readme = join(root, 'README.md');
writeFileSync(readme, withFlagTable(readFileSync(readme, 'utf8')));
console.log('README.md: flag table written');
