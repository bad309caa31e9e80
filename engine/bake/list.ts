// `bake --list targets|variables` (and `type=…,format=table|json`) as buildx prints them: a table
// aligned with tabs as Go's tabwriter aligns it, or indented JSON. Targets whose name starts with `_`
// are private and not listed; a group lists its members.
import { parseSpec } from '../util/spec.js';
import type { LoadedBake } from './config.js';
import { BakeError } from './errors.js';

export interface ListRequest {
  type: 'targets' | 'variables';
  format: 'table' | 'json';
}

export function parseListRequest(text: string): ListRequest {
  let type = text;
  let format = 'table';
  if (text.includes('=') || text.includes(',')) {
    type = '';
    for (const [key, value] of parseSpec(text, '--list')) {
      if (key === 'type') type = value;
      else if (key === 'format') format = value;
      else throw new BakeError(`unexpected key '${key}' in --list ${text}`);
    }
  }
  if (type !== 'targets' && type !== 'variables')
    throw new BakeError(`invalid list type ${JSON.stringify(type)}: use targets or variables`);
  if (format !== 'table' && format !== 'json')
    throw new BakeError(`invalid list format ${JSON.stringify(format)}: use table or json`);
  return { type, format };
}

/** Go's text/tabwriter with minwidth 1, tabwidth 8, padding 1 and tabs as padding. */
export function tabTable(rows: string[][]): string {
  const columns = Math.max(...rows.map((row) => row.length)) - 1;
  const widths = Array.from({ length: columns }, (_, i) => {
    const width = Math.max(1, ...rows.filter((row) => row.length > i + 1).map((row) => [...row[i]].length + 1));
    return Math.ceil(width / 8) * 8;
  });
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + '\t'.repeat(Math.ceil((widths[i] - [...cell].length) / 8)),
        )
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function listBake(loaded: LoadedBake, request: ListRequest): string {
  const json = (value: unknown) =>
    `${JSON.stringify(value, null, 2).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`;
  if (request.type === 'variables') {
    const variables = [...loaded.variables].sort((a, b) => a.name.localeCompare(b.name));
    if (request.format === 'json') return json(variables);
    return tabTable([
      ['VARIABLE', 'TYPE', 'VALUE', 'DESCRIPTION'],
      ...variables.map((v) => [v.name, v.type ?? '', v.value ?? '<null>', v.description ?? '']),
    ]);
  }
  const entries = [
    ...loaded.config.targets.map((target) => ({
      name: target.name,
      description: target.description ?? '',
      group: false,
    })),
    ...loaded.config.groups.map((group) => {
      const members = [...group.targets].sort().join(', ');
      const description = group.description
        ? members
          ? `${group.description} (${members})`
          : group.description
        : members;
      return { name: group.name, description, group: true };
    }),
  ]
    .filter((entry) => !entry.name.startsWith('_'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (request.format === 'json')
    return json(
      entries.map((entry) => ({
        name: entry.name,
        ...(entry.description ? { description: entry.description } : {}),
        ...(entry.group ? { group: true } : {}),
      })),
    );
  return tabTable([['TARGET', 'DESCRIPTION'], ...entries.map((entry) => [entry.name, entry.description])]);
}
