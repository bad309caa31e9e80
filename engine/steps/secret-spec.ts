// `--secret` (and bake's `secret`) as buildx reads it: `id=x[,type=file|env][,src=FILE|source=FILE][,env=VAR]`.
// `type=env,src=VAR` names a variable; an id with no source is the variable of that name when it is
// set, else the file of that name, as BuildKit's secrets provider does.
import { parseSpec, SpecError } from '../util/spec.js';

export interface SecretSource {
  file?: string;
  env?: string;
}

export interface SecretSpec extends SecretSource {
  id: string;
}

/** One `--secret` value. */
export function parseSecretSpec(text: string): SecretSpec {
  const fields = parseSpec(text, '--secret');
  let type: string | undefined;
  const spec: SecretSpec = { id: '' };
  for (const [key, value] of fields) {
    if (key === 'type') {
      if (value !== 'file' && value !== 'env') throw new SpecError(`unsupported secret type ${JSON.stringify(value)}`);
      type = value;
    } else if (key === 'id') spec.id = value;
    else if (key === 'src' || key === 'source') spec.file = value;
    else if (key === 'env') spec.env = value;
    else throw new SpecError(`unexpected key ${JSON.stringify(key)} in --secret ${JSON.stringify(text)}`);
  }
  if (type === 'env' && spec.env === undefined) {
    spec.env = spec.file;
    delete spec.file;
  }
  if (spec.id === '') throw new SpecError(`invalid --secret ${JSON.stringify(text)}: id=... is required`);
  return spec;
}

/** Where a secret's value comes from, with BuildKit's fallback for a bare id. */
export function secretSource(spec: SecretSpec, env: NodeJS.ProcessEnv = process.env): SecretSource {
  if (spec.file !== undefined || spec.env !== undefined)
    return {
      ...(spec.file !== undefined ? { file: spec.file } : {}),
      ...(spec.env !== undefined ? { env: spec.env } : {}),
    };
  return env[spec.id] !== undefined ? { env: spec.id } : { file: spec.id };
}

/** The build's secret table from `--secret` values (a later value for an id wins). */
export function parseSecrets(
  values: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, SecretSource> {
  const secrets = new Map<string, SecretSource>();
  for (const value of values) {
    const spec = parseSecretSpec(value);
    secrets.set(spec.id, secretSource(spec, env));
  }
  return secrets;
}
