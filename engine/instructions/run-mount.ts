// `RUN --mount=...` specs (BuildKit's commands_runmount.go): CSV fields, types, defaults and checks.
import type { Position } from '../dockerfile/ast.js';
import { PositionedError } from '../errors.js';
import { csvFields } from '../util/csv.js';
import { withSuggestion } from './suggest.js';
import type { MountSharing, MountType, RunMount } from './types.js';

export class RunMountError extends PositionedError<Position> {
  override readonly name = 'RunMountError';
  override readonly code = 'MSBUILD_RUN_MOUNT';
}

const mountTypes: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes: readonly MountSharing[] = ['shared', 'private', 'locked'];
const allKeys = [
  'type',
  'from',
  'source',
  'target',
  'readonly',
  'id',
  'sharing',
  'required',
  'size',
  'mode',
  'uid',
  'gid',
  'src',
  'dst',
  'destination',
  'ro',
  'rw',
  'readwrite',
  'env',
];

function parseBoolean(key: string, value: string, position: Position): boolean {
  // Go's strconv.ParseBool.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new RunMountError(`invalid value for ${key}: ${value}`, position);
}

/** Docker's units.RAMInBytes: `64m`, `1g`, `512k`, `100` (binary multiples). */
export function ramInBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!match) throw new Error(`invalid size: '${text}'`);
  const powers: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
  return Math.floor(Number(match[1]) * 1024 ** powers[match[2].toLowerCase()]);
}

/**
 * Parses one `--mount` value. Without `expand` only the syntax is checked (BuildKit's first pass);
 * with it every value is expanded and the mount is fully validated.
 */
export function parseRunMount(
  spec: string,
  expand: ((word: string) => string) | undefined,
  position: Position,
): RunMount {
  let fields: string[];
  try {
    fields = csvFields(spec);
  } catch (error) {
    throw new RunMountError(`failed to parse csv mounts: ${(error as Error).message}`, position);
  }
  const mount: RunMount = {
    type: 'bind',
    from: '',
    source: '',
    target: '',
    readOnly: true,
    sizeLimit: 0,
    id: '',
    sharing: '',
    required: false,
    spec,
  };
  let readOnlyAuto = true;
  const fail = (message: string) => new RunMountError(message, position);
  for (const field of fields) {
    const equals = field.indexOf('=');
    const key = (equals < 0 ? field : field.slice(0, equals)).toLowerCase();
    let value = equals < 0 ? '' : field.slice(equals + 1);
    if (equals < 0) {
      if (expand === undefined) continue;
      if (key === 'readonly' || key === 'ro') {
        mount.readOnly = true;
        readOnlyAuto = false;
      } else if (key === 'readwrite' || key === 'rw') {
        mount.readOnly = false;
        readOnlyAuto = false;
      } else if (key === 'required') {
        if (mount.type !== 'secret' && mount.type !== 'ssh')
          throw fail(`unexpected key '${key}' for mount type '${mount.type}'`);
        mount.required = true;
      } else {
        throw fail(`invalid field '${field}' must be a key=value pair`);
      }
      continue;
    }
    if (expand !== undefined) {
      value = expand(value);
    } else if (key === 'from') {
      const dollar = value.indexOf('$');
      if (dollar !== -1 && dollar !== value.length - 1) {
        throw fail(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
    } else {
      continue;
    }
    switch (key) {
      case 'type': {
        const type = value.toLowerCase() as MountType;
        if (!mountTypes.includes(type))
          throw fail(withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, mountTypes));
        mount.type = type;
        break;
      }
      case 'from':
        mount.from = value;
        break;
      case 'source':
      case 'src':
        mount.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = value;
        break;
      case 'readonly':
      case 'ro':
        mount.readOnly = parseBoolean(key, value, position);
        readOnlyAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        mount.readOnly = !parseBoolean(key, value, position);
        readOnlyAuto = false;
        break;
      case 'required':
        if (mount.type !== 'secret' && mount.type !== 'ssh')
          throw fail(`unexpected key '${key}' for mount type '${mount.type}'`);
        mount.required = parseBoolean(key, value, position);
        break;
      case 'size':
        if (mount.type !== 'tmpfs') throw fail(`unexpected key '${key}' for mount type '${mount.type}'`);
        try {
          mount.sizeLimit = ramInBytes(value);
        } catch {
          throw fail(`invalid value for ${key}: ${value}`);
        }
        break;
      case 'id':
        mount.id = value;
        break;
      case 'sharing': {
        const sharing = value.toLowerCase() as MountSharing;
        if (!sharingModes.includes(sharing))
          throw fail(withSuggestion(`unsupported sharing value ${JSON.stringify(value)}`, value, sharingModes));
        mount.sharing = sharing;
        break;
      }
      case 'mode':
        if (!/^[0-7]+$/.test(value)) throw fail(`invalid value ${value} for mode`);
        mount.mode = parseInt(value, 8);
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw fail(`invalid value ${value} for ${key}`);
        mount[key] = Number(value);
        break;
      case 'env':
        mount.env = value;
        break;
      default:
        throw fail(withSuggestion(`unexpected key '${key}' in '${field}'`, key, allKeys));
    }
  }
  if (expand === undefined) return mount;
  const fileInfoAllowed = mount.type === 'secret' || mount.type === 'ssh' || mount.type === 'cache';
  if (!fileInfoAllowed) {
    for (const key of ['mode', 'uid', 'gid'] as const) {
      if (mount[key] !== undefined) throw fail(`${key} not allowed for ${JSON.stringify(mount.type)} type mounts`);
    }
  }
  if (readOnlyAuto) mount.readOnly = !(mount.type === 'cache' || mount.type === 'tmpfs');
  if (mount.type === 'secret') {
    if (mount.from !== '') throw fail('secret mount should not have a from');
    if (mount.sharing !== '') throw fail('secret mount should not define sharing');
    if (mount.source === '' && mount.target === '' && mount.id === '')
      throw fail('invalid secret mount. one of source, target required');
    if (mount.source !== '' && mount.id !== '') throw fail("both source and id can't be set");
  }
  if (mount.sharing !== '' && mount.type !== 'cache') throw fail(`invalid cache sharing set for ${mount.type} mount`);
  return mount;
}
