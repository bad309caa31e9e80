// The config fields steps build up one entry at a time (ENV's Env, LABEL's Labels, EXPOSE's
// ExposedPorts, VOLUME's Volumes, and every step's history entry), kept as persistent chains: a step adds
// one link, and the configs of every later step share the links before it. The field is made (a list
// or an object) only when read, so a stage of 20,000 ENV lines costs 20,000 links, not 20,000 copies of
// a growing list (V8 takes ~10 s just to copy a 20,000-entry history that often).
import type { ContainerConfig, HistoryEntry, ImageConfig } from './config.js';

export type ChainedField = 'Env' | 'Labels' | 'ExposedPorts' | 'Volumes';

/** One link: `key` set to `value` on top of `parent` (or of `base`, the field as it was before any link). */
interface Link {
  readonly parent: Link | undefined;
  readonly base: unknown;
  readonly key: string;
  readonly value: string;
}

const links: Record<ChainedField, symbol> = {
  Env: Symbol('msbuild.chain.Env'),
  Labels: Symbol('msbuild.chain.Labels'),
  ExposedPorts: Symbol('msbuild.chain.ExposedPorts'),
  Volumes: Symbol('msbuild.chain.Volumes'),
};

/** The links from the oldest to `last` (a loop: chains are as long as the Dockerfile makes them). */
function inOrder(last: Link): Link[] {
  const order: Link[] = [];
  for (let link: Link | undefined = last; link !== undefined; link = link.parent) order.push(link);
  return order.reverse();
}

/** Env as Docker's addEnv leaves it: a key already set is replaced where it is, a new one appended. */
function envOf(last: Link): string[] {
  const order = inOrder(last);
  const result = [...((order[0].base as string[] | undefined) ?? [])];
  const position = new Map<string, number>();
  result.forEach((entry, i) => {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    if (!position.has(key)) position.set(key, i);
  });
  for (const link of order) {
    const entry = `${link.key}=${link.value}`;
    const at = position.get(link.key);
    if (at !== undefined) result[at] = entry;
    else position.set(link.key, result.push(entry) - 1);
  }
  return result;
}

/** Labels (`key: value`), or ports and volumes (`key: {}`), as successive object spreads leave them. */
function objectOf(last: Link, field: ChainedField): Record<string, unknown> {
  const order = inOrder(last);
  const result: Record<string, unknown> = { ...((order[0].base as Record<string, unknown> | undefined) ?? {}) };
  for (const link of order) result[link.key] = field === 'Labels' ? link.value : {};
  return result;
}

/** Sets `key` in `field` of `container` (a value for Env and Labels; ports and volumes have none). */
export function setChained(container: ContainerConfig, field: ChainedField, key: string, value = ''): void {
  const record = container as Record<string | symbol, unknown>;
  const parent = record[links[field]] as Link | undefined;
  const link: Link = { parent, base: parent ? undefined : record[field], key, value };
  Object.defineProperty(container, links[field], { value: link, configurable: true, enumerable: false });
  Object.defineProperty(container, field, {
    configurable: true,
    enumerable: true,
    get: () => (field === 'Env' ? envOf(link) : objectOf(link, field)),
    // Assigning the field (a LABEL from --label, a base's ONBUILD reset) makes it a plain value again.
    set(this: ContainerConfig, next: unknown) {
      Object.defineProperty(this, field, { value: next, writable: true, configurable: true, enumerable: true });
      delete (this as Record<symbol, unknown>)[links[field]];
    },
  });
}

/** A copy of `container` sharing its chains and values (configs are never changed in place). */
export function copyContainerConfig(container: ContainerConfig): ContainerConfig {
  return Object.defineProperties({}, Object.getOwnPropertyDescriptors(container)) as ContainerConfig;
}

/** A history entry appended to `parent`'s history (or to `base`), and how long the history is then. */
interface HistoryLink {
  readonly parent: HistoryLink | undefined;
  readonly base: readonly HistoryEntry[];
  readonly entry: HistoryEntry;
  readonly length: number;
}

const historyLinks = Symbol('msbuild.chain.history');

function historyOf(last: HistoryLink): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  let link: HistoryLink | undefined = last;
  for (; link !== undefined; link = link.parent) {
    entries.push(link.entry);
    if (link.parent === undefined) break;
  }
  return (link?.base ?? []).concat(entries.reverse());
}

/**
 * Sets `config.history` to `previous`'s history with `entries` after it, sharing `previous`'s (its
 * chain, or its list, which is never changed in place once a config holds it).
 */
export function setHistoryAfter(config: ImageConfig, previous: ImageConfig, entries: readonly HistoryEntry[]): void {
  let last = (previous as unknown as Record<symbol, HistoryLink | undefined>)[historyLinks];
  const base = last === undefined ? previous.history : [];
  if (entries.length === 0) {
    if (last === undefined) config.history = base.slice();
    else defineHistory(config, last);
    return;
  }
  for (const entry of entries) last = { parent: last, base, entry, length: (last?.length ?? base.length) + 1 };
  defineHistory(config, last as HistoryLink);
}

function defineHistory(config: ImageConfig, last: HistoryLink): void {
  Object.defineProperty(config, historyLinks, { value: last, configurable: true, enumerable: false });
  Object.defineProperty(config, 'history', {
    configurable: true,
    enumerable: true,
    get: () => historyOf(last),
    set(this: ImageConfig, next: HistoryEntry[]) {
      Object.defineProperty(this, 'history', { value: next, writable: true, configurable: true, enumerable: true });
      delete (this as unknown as Record<symbol, unknown>)[historyLinks];
    },
  });
}

/** How many history entries `config` has, without making its history. */
export function historyLength(config: ImageConfig): number {
  return (config as unknown as Record<symbol, HistoryLink | undefined>)[historyLinks]?.length ?? config.history.length;
}

/** True when `config.history` is a chain (copied by its descriptor, never by reading it). */
export function hasHistoryChain(config: ImageConfig): boolean {
  return (config as unknown as Record<symbol, unknown>)[historyLinks] !== undefined;
}
