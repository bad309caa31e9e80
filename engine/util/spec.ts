// `key=value,key=value` specs as buildx reads them (`--output`, `--cache-from`/`--cache-to`,
// `--secret`, bake entries), parsed one way everywhere: one CSV record, so a quoted field may hold
// commas; a field splits at its first `=` (a value may hold more); keys are lower-cased and the last
// of a key wins; a field without `=` is an error, as in buildx.
import { UsageError } from '../errors.js';
import { csvFields } from './csv.js';

/** `type=local,dest=out` → `{type → local, dest → out}`; errors name `what` (`--output`). */
export function parseSpec(text: string, what: string): Map<string, string> {
  let fields: string[];
  try {
    fields = csvFields(text);
  } catch (error) {
    throw new SpecError(`invalid ${what} ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
  const map = new Map<string, string>();
  for (const field of fields) {
    const equals = field.indexOf('=');
    if (equals < 0)
      throw new SpecError(`invalid ${what} ${JSON.stringify(text)}: ${JSON.stringify(field)} is not key=value`);
    map.set(field.slice(0, equals).trim().toLowerCase(), field.slice(equals + 1));
  }
  return map;
}

/** A spec written wrong: the user's input, printed plainly. */
export class SpecError extends UsageError {
  override readonly name: string = 'SpecError';
  override readonly code: string = 'MSBUILD_SPEC';
}
