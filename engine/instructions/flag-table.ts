// Every instruction flag of current BuildKit's Dockerfile frontend (instructions/parse.go and its RUN
// hooks), with what msbuild does with it. The parser takes its flag specs from this table, so a flag
// BuildKit knows is never "unknown" here, and a flag msbuild does not implement is refused by name.
import type { FlagKind, FlagSpec, ParsedFlags } from './flags.js';
import { FlagError } from './flags.js';

export type FlaggedInstruction = 'FROM' | 'RUN' | 'COPY' | 'ADD' | 'HEALTHCHECK';

export interface FlagRow {
  instruction: FlaggedInstruction;
  name: string;
  kind: FlagKind;
  /** The Dockerfile frontend version that introduced it, as the reference lists it ('' for always). */
  since: string;
  support: 'implemented' | 'refused';
  /** The behaviour msbuild gives it, or why it is refused (the README's table says this). */
  note: string;
}

export const flagTable: readonly FlagRow[] = [
  {
    instruction: 'FROM',
    name: 'platform',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'the build platform (`$BUILDPLATFORM`, `$TARGETPLATFORM`); another platform is refused',
  },
  {
    instruction: 'RUN',
    name: 'mount',
    kind: 'strings',
    since: '1.2',
    support: 'implemented',
    note: 'bind, cache, tmpfs, secret and ssh (with `--ssh`) mounts',
  },
  {
    instruction: 'RUN',
    name: 'network',
    kind: 'string',
    since: '1.3',
    support: 'implemented',
    note: '`default`, `none`, `host` (needs `--allow network.host` or `--network host`)',
  },
  {
    instruction: 'RUN',
    name: 'security',
    kind: 'string',
    since: '1.20',
    support: 'implemented',
    note: '`sandbox`, `insecure` (needs `--allow security.insecure`; a privileged container)',
  },
  {
    instruction: 'RUN',
    name: 'device',
    kind: 'strings',
    since: '1.14-labs',
    support: 'refused',
    note: 'CDI devices need a BuildKit worker with a CDI registry',
  },
  {
    instruction: 'COPY',
    name: 'from',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a stage (name or index) or an image',
  },
  {
    instruction: 'COPY',
    name: 'chown',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'names resolved in the image, numeric IDs as they are',
  },
  {
    instruction: 'COPY',
    name: 'chmod',
    kind: 'string',
    since: '1.2',
    support: 'implemented',
    note: 'octal, or symbolic (`u+x,go=rX`)',
  },
  {
    instruction: 'COPY',
    name: 'link',
    kind: 'bool',
    since: '1.4',
    support: 'implemented',
    note: 'written onto an empty tree: destination not resolved through the image, its parents written anew; `--chown` names refused; ignored with `--chmod`, as BuildKit',
  },
  {
    instruction: 'COPY',
    name: 'parents',
    kind: 'bool',
    since: '1.20',
    support: 'implemented',
    note: 'parent directories kept, from a `./` pivot on; wildcards and `**`',
  },
  {
    instruction: 'COPY',
    name: 'exclude',
    kind: 'strings',
    since: '1.19',
    support: 'implemented',
    note: 'patterns with `**` and `!exceptions`, relative to each source; wildcard matches excluded too',
  },
  { instruction: 'ADD', name: 'chown', kind: 'string', since: '', support: 'implemented', note: 'as COPY' },
  { instruction: 'ADD', name: 'chmod', kind: 'string', since: '1.2', support: 'implemented', note: 'as COPY' },
  { instruction: 'ADD', name: 'link', kind: 'bool', since: '1.4', support: 'implemented', note: 'as COPY' },
  {
    instruction: 'ADD',
    name: 'keep-git-dir',
    kind: 'bool',
    since: '1.1',
    support: 'implemented',
    note: 'keeps `.git` of a Git source (not with a subdir)',
  },
  {
    instruction: 'ADD',
    name: 'checksum',
    kind: 'string',
    since: '1.6',
    support: 'implemented',
    note: '`sha256:`/`sha384:`/`sha512:` of an HTTP source, a commit (prefix) of a Git source',
  },
  {
    instruction: 'ADD',
    name: 'unpack',
    kind: 'bool',
    since: '1.17',
    support: 'implemented',
    note: 'unpack downloaded archives (`true`), keep local ones packed (`false`)',
  },
  { instruction: 'ADD', name: 'exclude', kind: 'strings', since: '1.19', support: 'implemented', note: 'as COPY' },
  {
    instruction: 'HEALTHCHECK',
    name: 'interval',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a Go duration, at least 1ms',
  },
  {
    instruction: 'HEALTHCHECK',
    name: 'timeout',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a Go duration, at least 1ms',
  },
  {
    instruction: 'HEALTHCHECK',
    name: 'start-period',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a Go duration, at least 1ms',
  },
  {
    instruction: 'HEALTHCHECK',
    name: 'start-interval',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a Go duration, at least 1ms',
  },
  {
    instruction: 'HEALTHCHECK',
    name: 'retries',
    kind: 'string',
    since: '',
    support: 'implemented',
    note: 'a non-negative integer',
  },
];

/** The flags `instruction` accepts, for parseFlags. */
export function flagSpecFor(instruction: FlaggedInstruction): FlagSpec {
  return Object.fromEntries(flagTable.filter((r) => r.instruction === instruction).map((r) => [r.name, r.kind]));
}

/** Throws for the first refused flag that was given, naming it, with a caret at it. */
export function refuseUnsupportedFlags(instruction: FlaggedInstruction, flags: ParsedFlags): void {
  for (const flagRow of flagTable) {
    if (flagRow.instruction !== instruction || flagRow.support !== 'refused' || !flags.used.has(flagRow.name)) continue;
    const position = flags.position(flagRow.name);
    if (position === undefined) continue;
    throw new FlagError(`${instruction} --${flagRow.name} is not supported by msbuild: ${flagRow.note}`, position);
  }
}
