// `--output` values as buildx reads them (CSV fields, `key=value`): a bare path is a local directory,
// `-` a tar on stdout, `type=docker,dest=x.tar` a `docker save` archive, `dest=-` stdout. Every
// attribute is understood or refused by name: none is parsed and then ignored.
import { MsbuildError } from '../errors.js';
import { parseSpec } from '../util/spec.js';

/** Outputs written to a file: `dest`, or `stream` instead when one is given (`dest=-`). */
export interface FileOutputSpec {
  type: 'tar' | 'oci' | 'docker-archive';
  dest: string;
  /** Receives the file when `dest` is `-` (the CLI gives stdout). */
  stream?: NodeJS.WritableStream;
  /** The names a `docker save` archive holds (default: the build's tags). */
  names?: string[];
}

export type OutputSpec =
  /**
   * The daemon's image store: where msbuild always puts the image. `names` are more tags for it;
   * `push` sends it to a registry too (`type=registry`, `type=image,push=true`).
   */
  { type: 'docker'; names?: string[]; push?: true } | { type: 'local'; dest: string } | FileOutputSpec;

export class OutputError extends MsbuildError {
  override readonly name = 'OutputError';
  override readonly code = 'MSBUILD_OUTPUT';
}

const types = ['local', 'tar', 'oci', 'docker', 'docker-archive', 'image', 'registry', 'cacheonly'];

/** Attributes each type understands (besides `type`). */
const attributes: Record<string, readonly string[]> = {
  local: ['dest', 'platform-split'],
  tar: ['dest', 'platform-split'],
  oci: ['dest', 'name', 'tar'],
  docker: ['dest', 'name', 'tar'],
  'docker-archive': ['dest'],
  image: ['name', 'push', 'unpack'],
  registry: ['name', 'push', 'unpack'],
  cacheonly: [],
};

/** `name=a,b` (quoted in CSV: `"name=a,b"`) → image names. */
function namesOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/**
 * `name=a,b` unquoted (fields after it without `=` are more names, as msbuild accepted them before it
 * read CSV) → `"name=a,b"`, the CSV buildx documents.
 */
function quoteNames(text: string): string {
  return text.replace(
    /(^|,)name=([^",]*(?:,[^",=]+)+)(?=,[a-z-]+=|$)/,
    (_, lead: string, names: string) => `${lead}"name=${names}"`,
  );
}

/** `type=local,dest=out` → OutputSpec, as buildx parses `--output`. */
export function parseOutputSpec(text: string): OutputSpec {
  // A bare value is a local directory, and `-` a tar on stdout (buildx's ExportEntry.UnmarshalText).
  if (!text.includes('=')) {
    if (text === '') throw new OutputError('--output needs a value: a directory, - or type=...');
    return text === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: text };
  }
  const fields = parseSpec(quoteNames(text), '--output');
  const type = fields.get('type');
  if (type === undefined) throw new OutputError(`invalid --output ${JSON.stringify(text)}: type is required`);
  if (!types.includes(type))
    throw new OutputError(`unknown output type ${JSON.stringify(type)}: use local, tar, oci, docker or image`);
  for (const key of fields.keys()) {
    if (key !== 'type' && !attributes[type].includes(key))
      throw new OutputError(
        `--output ${text}: attribute ${JSON.stringify(key)} is not supported for type=${type}${attributes[type].length > 0 ? ` (known: ${attributes[type].join(', ')})` : ''}`,
      );
  }
  if (/^(false|0)$/i.test(fields.get('tar') ?? ''))
    throw new OutputError(`--output ${text}: tar=false (an unpacked layout) is not supported; write a tar`);
  const dest = fields.get('dest');
  const names = namesOf(fields.get('name'));
  const push = fields.get('push');
  if (push !== undefined && !/^(true|false|1|0)$/i.test(push))
    throw new OutputError(`--output ${text}: push must be true or false, not ${JSON.stringify(push)}`);
  if (type === 'registry' || type === 'image')
    return {
      type: 'docker',
      ...(names ? { names } : {}),
      ...(type === 'registry' || /^(true|1)$/i.test(push ?? '') ? { push: true as const } : {}),
    };
  if (type === 'cacheonly' || (type === 'docker' && dest === undefined))
    return { type: 'docker', ...(names ? { names } : {}) };
  if (dest === undefined || dest === '') throw new OutputError(`output type=${type} needs dest=PATH`);
  if (type === 'local') {
    if (dest === '-') throw new OutputError('output type=local writes a directory: use type=tar,dest=- for stdout');
    return { type: 'local', dest };
  }
  // buildx's `type=docker,dest=FILE` is what `docker save` writes.
  const fileType = type === 'docker' ? 'docker-archive' : (type as 'tar' | 'oci' | 'docker-archive');
  return { type: fileType, dest, ...(names ? { names } : {}) };
}

/** Whether an output writes to the stream rather than to a path (`dest=-`). */
export function writesToStream(spec: OutputSpec): spec is FileOutputSpec {
  return spec.type !== 'docker' && spec.type !== 'local' && spec.dest === '-';
}
