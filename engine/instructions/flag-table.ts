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

const row = (
  instruction: FlaggedInstruction,
  name: string,
  kind: FlagKind,
  since: string,
  support: FlagRow['support'],
  note: string,
): FlagRow => ({ instruction, name, kind, since, support, note });

export const flagTable: readonly FlagRow[] = [
  row(
    'FROM',
    'platform',
    'string',
    '',
    'implemented',
    'the build platform (`$BUILDPLATFORM`, `$TARGETPLATFORM`); another platform is refused',
  ),
  row('RUN', 'mount', 'strings', '1.2', 'implemented', 'bind, cache, tmpfs, secret and ssh (with `--ssh`) mounts'),
  row(
    'RUN',
    'network',
    'string',
    '1.3',
    'implemented',
    '`default`, `none`, `host` (needs `--allow network.host` or `--network host`)',
  ),
  row(
    'RUN',
    'security',
    'string',
    '1.20',
    'implemented',
    '`sandbox`, `insecure` (needs `--allow security.insecure`; a privileged container)',
  ),
  row('RUN', 'device', 'strings', '1.14-labs', 'refused', 'CDI devices need a BuildKit worker with a CDI registry'),
  row('COPY', 'from', 'string', '', 'implemented', 'a stage (name or index) or an image'),
  row('COPY', 'chown', 'string', '', 'implemented', 'names resolved in the image, numeric IDs as they are'),
  row('COPY', 'chmod', 'string', '1.2', 'implemented', 'octal, or symbolic (`u+x,go=rX`)'),
  row(
    'COPY',
    'link',
    'bool',
    '1.4',
    'implemented',
    'written onto an empty tree: destination not resolved through the image, its parents written anew; `--chown` names refused; ignored with `--chmod`, as BuildKit',
  ),
  row(
    'COPY',
    'parents',
    'bool',
    '1.20',
    'implemented',
    'parent directories kept, from a `./` pivot on; wildcards and `**`',
  ),
  row(
    'COPY',
    'exclude',
    'strings',
    '1.19',
    'implemented',
    'patterns with `**` and `!exceptions`, relative to each source; wildcard matches excluded too',
  ),
  row('ADD', 'chown', 'string', '', 'implemented', 'as COPY'),
  row('ADD', 'chmod', 'string', '1.2', 'implemented', 'as COPY'),
  row('ADD', 'link', 'bool', '1.4', 'implemented', 'as COPY'),
  row('ADD', 'keep-git-dir', 'bool', '1.1', 'implemented', 'keeps `.git` of a Git source (not with a subdir)'),
  row(
    'ADD',
    'checksum',
    'string',
    '1.6',
    'implemented',
    '`sha256:`/`sha384:`/`sha512:` of an HTTP source, a commit (prefix) of a Git source',
  ),
  row(
    'ADD',
    'unpack',
    'bool',
    '1.17',
    'implemented',
    'unpack downloaded archives (`true`), keep local ones packed (`false`)',
  ),
  row('ADD', 'exclude', 'strings', '1.19', 'implemented', 'as COPY'),
  row('HEALTHCHECK', 'interval', 'string', '', 'implemented', 'a Go duration, at least 1ms'),
  row('HEALTHCHECK', 'timeout', 'string', '', 'implemented', 'a Go duration, at least 1ms'),
  row('HEALTHCHECK', 'start-period', 'string', '', 'implemented', 'a Go duration, at least 1ms'),
  row('HEALTHCHECK', 'start-interval', 'string', '', 'implemented', 'a Go duration, at least 1ms'),
  row('HEALTHCHECK', 'retries', 'string', '', 'implemented', 'a non-negative integer'),
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
