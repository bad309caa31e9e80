// The README's flag table, made from the option table: every flag of every command with what msbuild
// does with it (works, no-op, refused) and where users know it from. `npm run flag-table` writes it
// into the README between its markers; test/cli/flag-table.test.ts fails when the two differ.
import { optionTable, type CommandName, type OptionSpec } from './option-table.js';

export const flagTableStart = '<!-- flag-table:start (generated from cli/option-table.ts: npm run flag-table) -->';
export const flagTableEnd = '<!-- flag-table:end -->';

const commandNames: Record<CommandName, string> = {
  build: 'build',
  plan: 'plan',
  explain: 'cache explain',
  check: 'check',
  bake: 'bake',
  cache: 'cache',
  'cache-ls': 'cache ls',
  'cache-prune': 'cache prune',
  'cache-export': 'cache export',
  'cache-import': 'cache import',
  'debug-ast': 'debug ast',
};

const origins: Record<OptionSpec['origin'], string> = {
  buildx: 'buildx',
  legacy: 'docker build (legacy)',
  bake: 'buildx bake',
  msbuild: 'msbuild',
};

const support: Record<OptionSpec['support'], string> = { works: 'works', 'no-op': 'no-op', refused: 'refused' };

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function flagTableMarkdown(): string {
  const rows = Object.values(optionTable as Record<string, OptionSpec>).map((spec) => {
    const what = spec.note ?? spec.description;
    const commands = spec.commands.map((name) => commandNames[name]).join(', ');
    return `| \`${cell(spec.flags)}\` | ${commands} | ${support[spec.support]} | ${origins[spec.origin]} | ${cell(what)} |`;
  });
  return [
    flagTableStart,
    '| flag | commands | msbuild | from | what it does here |',
    '|---|---|---|---|---|',
    ...rows,
    flagTableEnd,
  ].join('\n');
}

/** The README with its flag table replaced by the generated one. */
export function withFlagTable(readme: string): string {
  const start = readme.indexOf(flagTableStart);
  const end = readme.indexOf(flagTableEnd);
  if (start < 0 || end < start) throw new Error('README.md has no flag table markers');
  return `${readme.slice(0, start)}${flagTableMarkdown()}${readme.slice(end + flagTableEnd.length)}`;
}
