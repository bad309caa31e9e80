// Flags msbuild accepts as no-ops (what they ask for is what a local builder on the daemon does
// anyway) and flags it refuses: each checked by value, so `--provenance=false` passes and
// `--provenance=mode=max` is refused in one line that names it and says why.
import { flagName, parseGoBool, type OptionValues } from './option-parsing.js';
import { optionTable, type CommandName, type OptionKey } from './option-table.js';
import { UsageError } from './user-error.js';

const attestationsRefused = 'attestations are not supported: the classic image store keeps none';

/** `false`, `0`, `disabled=true`, `mode=disabled`: a request for no attestation. */
function disablesAttestation(value: string): boolean {
  if (/^(false|0|f|F|FALSE|False)$/.test(value)) return true;
  return value.split(',').some((field) => /^(disabled=(true|1)|mode=disabled)$/i.test(field.trim()));
}

/** Why a no-op flag's value is refused, or undefined when the value is what msbuild does. */
function noOpRefusal(key: OptionKey, value: string | string[]): string | undefined {
  const flag = flagName(key);
  const single = Array.isArray(value) ? value[value.length - 1] : value;
  switch (key) {
    case 'provenance':
    case 'sbom':
      return disablesAttestation(single) ? undefined : `${flag}=${single}: ${attestationsRefused}; use ${flag}=false`;
    case 'attest': {
      const wanted = (value as string[]).find((spec) => !disablesAttestation(spec));
      return wanted === undefined ? undefined : `--attest ${wanted}: ${attestationsRefused}`;
    }
    case 'builder':
      return single === 'default'
        ? undefined
        : `--builder ${single}: msbuild is its own builder (only "default" is accepted)`;
    case 'rm':
      return parseGoBool(flag, single) ? undefined : '--rm=false: msbuild always removes its intermediate containers';
    case 'disableContentTrust':
      return parseGoBool(flag, single)
        ? undefined
        : '--disable-content-trust=false: msbuild verifies no image signatures';
    case 'isolation':
      return single === 'default' || single === ''
        ? undefined
        : `--isolation ${single}: only "default" is supported (hyperv and process are Windows isolation)`;
    case 'call':
      if (single === 'build') return undefined;
      if (single === 'check') return '--call=check is not supported yet';
      return `--call=${single} is not supported: \`msbuild plan\` prints the stages, their steps and build args`;
    case 'load':
    case 'forceRm':
    case 'compress':
      parseGoBool(flag, single);
      return undefined;
    default:
      return undefined;
  }
}

/** Refuses, in one line naming the flag, a refused flag or a no-op flag given a value msbuild cannot honour. */
export function checkFlagSupport(values: OptionValues, command: CommandName): void {
  for (const [key, value] of Object.entries(values) as Array<[OptionKey, string | string[] | undefined]>) {
    const spec = optionTable[key];
    if (value === undefined || !spec || !(spec.commands as readonly string[]).includes(command)) continue;
    if (spec.support === 'refused') {
      const note = 'note' in spec ? spec.note : 'not supported';
      throw new UsageError(`${flagName(key)} is ${note.startsWith('not supported') ? note : `not supported: ${note}`}`);
    }
    if (spec.support === 'no-op') {
      const refusal = noOpRefusal(key, value);
      if (refusal !== undefined) throw new UsageError(refusal);
    }
  }
}
