// A bake target as buildx models it (bake/bake.go Target): the same attributes under the same names,
// merged the way buildx merges inherited and repeated targets (some attributes replace, the others
// add up), normalized (duplicates dropped), and printed in buildx's `--print` order. Composable
// attributes (output, cache-from/to, attest, secret, ssh) are entries, read from buildx's CSV form
// or from objects, and printed as buildx prints them (an output's keys sorted, as Go writes a map).
import { parseSpec } from '../util/spec.js';
import { BakeError } from './errors.js';

/** `type` and attributes of an output, cache, attestation or policy entry. */
export type Entry = Record<string, string>;

export interface SecretEntry {
  id?: string;
  src?: string;
  env?: string;
}

export interface SshEntry {
  id?: string;
  paths?: string[];
}

export interface Target {
  name: string;
  description?: string;
  inherits?: string[];
  annotations?: string[];
  attest?: Entry[];
  context?: string;
  contexts?: Record<string, string>;
  dockerfile?: string;
  'dockerfile-inline'?: string;
  args?: Record<string, string | null>;
  labels?: Record<string, string | null>;
  tags?: string[];
  'cache-from'?: Entry[];
  'cache-to'?: Entry[];
  target?: string;
  secret?: SecretEntry[];
  ssh?: SshEntry[];
  platforms?: string[];
  output?: Entry[];
  pull?: boolean;
  'no-cache'?: boolean;
  network?: string;
  'no-cache-filter'?: string[];
  'shm-size'?: string;
  ulimits?: string[];
  resources?: Record<string, string | number>;
  call?: string;
  entitlements?: string[];
  'extra-hosts'?: Record<string, string | null>;
  policy?: Entry[];
}

export type TargetKey = Exclude<keyof Target, 'name'>;

/** buildx's field order, which `--print` follows. */
export const targetKeys: readonly TargetKey[] = [
  'description',
  'inherits',
  'annotations',
  'attest',
  'context',
  'contexts',
  'dockerfile',
  'dockerfile-inline',
  'args',
  'labels',
  'tags',
  'cache-from',
  'cache-to',
  'target',
  'secret',
  'ssh',
  'platforms',
  'output',
  'pull',
  'no-cache',
  'network',
  'no-cache-filter',
  'shm-size',
  'ulimits',
  'resources',
  'call',
  'entitlements',
  'extra-hosts',
  'policy',
];

export interface Group {
  name: string;
  description?: string;
  targets: string[];
}

/** A bake definition: targets and groups in the order they were defined. */
export interface BakeConfig {
  targets: Target[];
  groups: Group[];
}

export const targetNamePattern = /^[a-zA-Z0-9_-]+$/;

export function checkTargetName(name: string, where = ''): void {
  if (!targetNamePattern.test(name))
    throw new BakeError(`${where}invalid target name ${JSON.stringify(name)}: only "[a-zA-Z0-9_-]+" are allowed`);
}

// Entries as strings (the flag syntax) or objects.

/** `--output` / bake `output` text → entry, as buildx's ExportEntry reads it. */
export function outputEntry(text: string): Entry {
  if (!text.includes('=')) return text === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: text };
  const entry = Object.fromEntries(parseSpec(text, 'output'));
  if (!entry.type) throw new BakeError(`type is required for output ${JSON.stringify(text)}`);
  return entry;
}

/** `--cache-from`/`--cache-to` text → entries (a bare `a,b` is two registry references). */
export function cacheEntries(text: string): Entry[] {
  if (!text.includes('='))
    return text
      .split(',')
      .filter(Boolean)
      .map((ref) => ({ type: 'registry', ref }));
  const entry = Object.fromEntries(parseSpec(text, 'cache'));
  if (!entry.type) throw new BakeError(`type required for ${JSON.stringify(text)}`);
  return [entry];
}

/** `type=provenance,mode=max` → entry. */
export function attestEntry(text: string): Entry {
  const entry = Object.fromEntries(parseSpec(text, 'attest'));
  if (!entry.type) throw new BakeError(`attest type is required in ${JSON.stringify(text)}`);
  return entry;
}

/** `id=x,src=f` / `id=x,env=V` / `type=env,id=x` → secret entry, as buildx's Secret reads it. */
export function secretEntry(text: string): SecretEntry {
  const fields = parseSpec(text, 'secret');
  const entry: SecretEntry = {};
  let type: string | undefined;
  for (const [key, value] of fields) {
    if (key === 'type') {
      if (value !== 'file' && value !== 'env') throw new BakeError(`unsupported secret type ${JSON.stringify(value)}`);
      type = value;
    } else if (key === 'id') entry.id = value;
    else if (key === 'src' || key === 'source') entry.src = value;
    else if (key === 'env') entry.env = value;
    else throw new BakeError(`unexpected key ${JSON.stringify(key)} in secret ${JSON.stringify(text)}`);
  }
  if (type === 'env' && entry.env === undefined) {
    entry.env = entry.src;
    delete entry.src;
  }
  return entry;
}

/** `default` / `id=path[,path]` → ssh entry. */
export function sshEntry(text: string): SshEntry {
  const [id, paths] = text.split(/=(.*)/s);
  return { id, ...(paths ? { paths: paths.split(',') } : {}) };
}

function entryKey(entry: Entry): string {
  return JSON.stringify(
    Object.keys(entry)
      .sort()
      .map((key) => [key, entry[key]]),
  );
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const uniqueStrings = (items: string[]) =>
  uniqueBy(
    items.filter((item) => item !== ''),
    (item) => item,
  );

// Merging (Target.Merge) and normalizing (Target.normalize).

/** buildx's Target.Merge: `from` applied over `into`; maps and some lists add up, the rest replace. */
export function mergeTarget(into: Target, from: Target): void {
  const replace = [
    'context',
    'dockerfile',
    'dockerfile-inline',
    'tags',
    'target',
    'call',
    'platforms',
    'cache-to',
    'output',
    'pull',
    'no-cache',
    'network',
    'shm-size',
  ] as const;
  for (const key of replace) if (from[key] !== undefined) Object.assign(into, { [key]: from[key] });
  for (const key of ['args', 'labels', 'extra-hosts'] as const) {
    const values = from[key];
    if (!values) continue;
    for (const [name, value] of Object.entries(values)) {
      if (value === null) continue;
      into[key] = { ...(into[key] ?? {}), [name]: value };
    }
  }
  if (from.contexts) into.contexts = { ...(into.contexts ?? {}), ...from.contexts };
  for (const key of ['annotations', 'no-cache-filter', 'ulimits', 'entitlements'] as const)
    if (from[key]) into[key] = [...(into[key] ?? []), ...(from[key] ?? [])];
  for (const key of ['cache-from', 'policy'] as const)
    if (from[key]) into[key] = uniqueBy([...(into[key] ?? []), ...(from[key] ?? [])], entryKey);
  // One attestation per type: a later one replaces it (buildx's Attests.Merge).
  if (from.attest)
    into.attest = [
      ...(into.attest ?? []).filter((entry) => !from.attest?.some((other) => other.type === entry.type)),
      ...from.attest,
    ];
  if (from.secret) into.secret = uniqueBy([...(into.secret ?? []), ...from.secret], (entry) => entry.id ?? '');
  if (from.ssh) into.ssh = uniqueBy([...(into.ssh ?? []), ...from.ssh], (entry) => entry.id ?? '');
  if (from.resources) into.resources = { ...(into.resources ?? {}), ...from.resources };
  if (from.description) into.description = from.description;
  if (from.inherits) into.inherits = [...(into.inherits ?? []), ...from.inherits];
}

/** buildx's Target.normalize: duplicates and empty values dropped, host network's entitlement added. */
export function normalizeTarget(target: Target): void {
  for (const key of ['annotations', 'tags', 'platforms', 'no-cache-filter', 'ulimits'] as const)
    if (target[key]) target[key] = uniqueStrings(target[key] ?? []);
  for (const key of ['attest', 'cache-from', 'cache-to', 'output'] as const)
    if (target[key]) target[key] = uniqueBy(target[key] ?? [], entryKey);
  if (target.network === 'host') target.entitlements = [...(target.entitlements ?? []), 'network.host'];
  if (target.entitlements) target.entitlements = uniqueStrings(target.entitlements);
  if (target.contexts) {
    for (const [name, value] of Object.entries(target.contexts)) if (value === '') delete target.contexts[name];
    if (Object.keys(target.contexts).length === 0) delete target.contexts;
  }
}

/** Go marshals a map with its keys sorted. */
function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, map[key]]),
  );
}

/** A target as `bake --print` writes it (buildx's MarshalJSON: `${` escaped as `$${`). */
export function printedTarget(target: Target): Record<string, unknown> {
  const escape = (text: string) => text.replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
  const escapeMap = (map: Record<string, string | null>) =>
    sortedKeys(
      Object.fromEntries(Object.entries(map).map(([key, value]) => [key, value === null ? null : escape(value)])),
    );
  const out: Record<string, unknown> = {};
  for (const key of targetKeys) {
    const value = target[key];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (key === 'args' || key === 'labels' || key === 'extra-hosts') {
      if (Object.keys(value as object).length > 0) out[key] = escapeMap(value as Record<string, string | null>);
    } else if (key === 'annotations') out[key] = (value as string[]).map(escape);
    else if (key === 'dockerfile-inline') out[key] = escape(value as string);
    else if (key === 'attest' || key === 'cache-from' || key === 'cache-to' || key === 'output' || key === 'policy')
      out[key] = (value as Entry[]).map(sortedKeys);
    else if (key === 'contexts' || key === 'resources') {
      if (Object.keys(value as object).length > 0) out[key] = sortedKeys(value as Record<string, unknown>);
    } else if (key === 'pull' || key === 'no-cache') out[key] = value;
    else if (value !== '' || key === 'context') out[key] = value;
  }
  return out;
}
