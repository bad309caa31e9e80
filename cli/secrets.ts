// `--secret id=x,src=FILE` / `--secret id=x,env=VAR` (docker buildx syntax) → the build's secret table.
import { UsageError } from './user-error.js';

export function parseSecrets(values: readonly string[] = []): Map<string, { file?: string; env?: string }> {
  const secrets = new Map<string, { file?: string; env?: string }>();
  for (const value of values) {
    const fields = new Map(
      value.split(',').map((field) => {
        const equals = field.indexOf('=');
        return equals < 0 ? [field, ''] : [field.slice(0, equals), field.slice(equals + 1)];
      }),
    );
    const id = fields.get('id');
    if (!id) throw new UsageError(`invalid --secret ${JSON.stringify(value)}: id=... is required`);
    const file = fields.get('src') ?? fields.get('source');
    const env = fields.get('env');
    if (file === undefined && env === undefined) secrets.set(id, { env: id });
    else secrets.set(id, { ...(file !== undefined ? { file } : {}), ...(env !== undefined ? { env } : {}) });
  }
  return secrets;
}
