// The user a RUN runs as, resolved from the image's own /etc/passwd and /etc/group as BuildKit does
// (executor/oci/user.go over moby/sys/user.GetExecUser): `uid:gid` is taken as it is; otherwise the
// files are read inside the root (symlinks bounded by it, regular files of at most 10 MiB), the
// first matching entry wins, a numeric user or group missing from the files is used as given, and
// an implicit group brings the user's supplementary groups. No user at all is root, files or not.
import { open } from 'node:fs/promises';
import { OciError } from './errors.js';
import { resolveInRoot } from './root-path.js';

export interface ProcessUser {
  uid: number;
  gid: number;
  /** Supplementary groups, the primary one first (containerd's ensureAdditionalGids). */
  additionalGids: number[];
}

const maxUserFileBytes = 10 << 20;
const maxId = 2 ** 31 - 1;

export class UserLookupError extends OciError {
  override readonly name = 'UserLookupError';
  constructor(message: string) {
    super('OCI_USER', message);
  }
}

/** A file of the image, read without following links out of it; undefined when it is not there. */
async function readUserFile(root: string, path: string): Promise<string | undefined> {
  const host = await resolveInRoot(root, path);
  const file = await open(host, 'r').catch(() => undefined);
  if (!file) return undefined;
  try {
    const info = await file.stat();
    // BuildKit treats a file it cannot open as a regular file as missing.
    if (!info.isFile()) return undefined;
    if (info.size > maxUserFileBytes) throw new UserLookupError(`${path} exceeds ${maxUserFileBytes} bytes`);
    return (await file.readFile()).toString('utf8');
  } finally {
    await file.close();
  }
}

/** A user or group argument: a name, or a number (matched by number only). */
function parseArg(text: string): { name: string; id?: number } | undefined {
  if (text === '') return undefined;
  if (!/^[+-]?\d+$/.test(text)) return { name: text };
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 0 || id > maxId)
    throw new UserLookupError(`user/group ID ${text} is out of range`);
  return { name: text, id };
}

/** Lines of an /etc/passwd or /etc/group file as fields; numbers that do not parse are 0 (as Go's Atoi). */
function entries(file: string, skipComments: boolean): string[][] {
  return file
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !(skipComments && line.startsWith('#')))
    .map((line) => line.split(':'));
}

const number = (text: string | undefined) => (/^[+-]?\d+$/.test(text ?? '') ? Number(text) : 0);

/** GetExecUser's rules on the files' contents (undefined: the file is missing). */
export function execUser(spec: string, passwd: string | undefined, group: string | undefined): ProcessUser {
  const colon = spec.indexOf(':');
  const userArg = parseArg(colon < 0 ? spec : spec.slice(0, colon));
  const groupArg = parseArg(colon < 0 ? '' : spec.slice(colon + 1));
  let uid = 0;
  let gid = 0;
  let supplementary: number[] = [];
  if (passwd === undefined && userArg !== undefined && userArg.id === undefined)
    throw new UserLookupError(`unable to find user ${userArg.name}: no /etc/passwd in the image`);
  const users = entries(passwd ?? '', false).filter((fields) =>
    userArg === undefined
      ? number(fields[2]) === uid
      : userArg.id !== undefined
        ? number(fields[2]) === userArg.id
        : fields[0] === userArg.name,
  );
  let matchedName = '';
  if (users.length > 0) {
    matchedName = users[0][0];
    uid = number(users[0][2]);
    gid = number(users[0][3]);
  } else if (userArg !== undefined) {
    if (userArg.id === undefined)
      throw new UserLookupError(`unable to find user ${userArg.name}: no matching entries in passwd file`);
    uid = userArg.id;
  }
  if (groupArg !== undefined || matchedName !== '') {
    if (group === undefined && groupArg !== undefined && groupArg.id === undefined)
      throw new UserLookupError(`unable to find group ${groupArg.name}: no /etc/group in the image`);
    const groups = entries(group ?? '', true).filter((fields) =>
      groupArg === undefined
        ? (fields[3] ?? '').split(',').includes(matchedName)
        : groupArg.id !== undefined
          ? number(fields[2]) === groupArg.id
          : fields[0] === groupArg.name,
    );
    if (groupArg !== undefined) {
      if (groups.length > 0) gid = number(groups[0][2]);
      else if (groupArg.id === undefined)
        throw new UserLookupError(`unable to find group ${groupArg.name}: no matching entries in group file`);
      else gid = groupArg.id;
    } else supplementary = groups.map((fields) => number(fields[2]));
  }
  return { uid, gid, additionalGids: supplementary.includes(gid) ? supplementary : [gid, ...supplementary] };
}

/** The process user for `spec` (a RUN's USER) in the image mounted at `root`. */
export async function resolveUser(root: string, spec: string): Promise<ProcessUser> {
  const isDefault = spec === '';
  const user = isDefault ? '0' : spec;
  // The fast path: both numbers given.
  const numeric = /^(\d+|root):(\d+|root)$/.exec(user);
  if (numeric) {
    const id = (text: string) => (text === 'root' ? 0 : Number(text));
    const [uid, gid] = [id(numeric[1]), id(numeric[2])];
    if (uid <= 0xffffffff && gid <= 0xffffffff) return { uid, gid, additionalGids: [gid] };
  }
  try {
    const [passwd, group] = await Promise.all([readUserFile(root, '/etc/passwd'), readUserFile(root, '/etc/group')]);
    return execUser(user, passwd, group);
  } catch (error) {
    if (isDefault) return { uid: 0, gid: 0, additionalGids: [0] };
    throw error;
  }
}
