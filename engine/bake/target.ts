// One bake target's settings twice over: as the file writes them (its own key names, what `--set`
// and `--print` use) and resolved for a build. The table between the two keeps `--print` output a
// file msbuild reads back.
import type { PullPolicy } from '../build.js';

export const networkModes = ['default', 'none', 'host'] as const;
export type NetworkMode = (typeof networkModes)[number];
export const pullPolicies = ['always', 'missing', 'never'] as const satisfies readonly PullPolicy[];

export interface BakeTarget {
  name: string;
  context: string;
  dockerfile?: string;
  target?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  noCache: boolean;
  outputs: string[];
  cacheFrom: string[];
  cacheTo?: string;
  platform?: string;
  network?: NetworkMode;
  pull?: PullPolicy;
}

/** A target as written, after its types are checked; keys are the file's. */
export interface RawTarget {
  inherits?: string[];
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, string>;
  labels?: Record<string, string>;
  tags?: string[];
  'no-cache'?: boolean;
  outputs?: string[];
  'cache-from'?: string[];
  'cache-to'?: string;
  platform?: string;
  network?: NetworkMode;
  pull?: PullPolicy;
}

/** Each resolved setting and the key the file writes it under. */
export const fileKeys = {
  context: 'context',
  dockerfile: 'dockerfile',
  target: 'target',
  args: 'args',
  labels: 'labels',
  tags: 'tags',
  noCache: 'no-cache',
  outputs: 'outputs',
  cacheFrom: 'cache-from',
  cacheTo: 'cache-to',
  platform: 'platform',
  network: 'network',
  pull: 'pull',
} as const satisfies { [K in keyof Omit<BakeTarget, 'name'>]-?: keyof RawTarget };

// Fails to compile when a file key has no resolved setting (it would be dropped by `--print`).
type Unprinted = Exclude<keyof RawTarget, 'inherits' | (typeof fileKeys)[keyof typeof fileKeys]>;
const everyKeyPrinted: [Unprinted] extends [never] ? true : Unprinted = true;
void everyKeyPrinted;

export const targetKeys: readonly (keyof RawTarget)[] = ['inherits', ...Object.values(fileKeys)];

export interface BakeFile {
  targets: Map<string, RawTarget>;
  groups: Map<string, string[]>;
  /** Directory the file is in: relative contexts are relative to it. */
  base: string;
  /** `file:line: ` of `group NAME` and `inherits NAME`, for errors found only when resolving. */
  origins: Map<string, string>;
}
