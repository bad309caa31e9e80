// `--chown=user[:group]` → numeric uid/gid, with names looked up in the image's /etc/passwd and
// /etc/group. A name that is not there is an error (BuildKit silently uses root; that hides typos).
import { MsbuildError } from '../errors.js';

export interface UserDatabase {
  passwd: string | undefined;
  group: string | undefined;
}

export class ChownError extends MsbuildError {
  override readonly name = 'ChownError';
  override readonly code = 'MSBUILD_CHOWN';
}

function numericId(text: string): number | undefined {
  if (text === 'root') return 0;
  return /^\d+$/.test(text) && Number(text) <= 2147483647 ? Number(text) : undefined;
}

/** True when resolving `spec` needs the image's user database (it names a user or group). */
export function chownNeedsLookup(spec: string): boolean {
  return spec.split(':', 2).some((part) => numericId(part) === undefined);
}

function lookup(file: string | undefined, name: string): string[] | undefined {
  for (const line of (file ?? '').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3) return fields;
  }
  return undefined;
}

export function resolveChown(spec: string, database: UserDatabase): { uid: number; gid: number } {
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  let uid: number;
  let gid: number;
  const numericUser = numericId(userPart);
  if (numericUser !== undefined) {
    uid = numericUser;
    gid = numericUser;
  } else {
    const entry = lookup(database.passwd, userPart);
    if (!entry) {
      throw new ChownError(
        `unable to find user ${userPart}: ${database.passwd === undefined ? 'the image has no /etc/passwd' : 'no matching entries in passwd file'}`,
      );
    }
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined && groupPart !== '') {
    const numericGroup = numericId(groupPart);
    if (numericGroup !== undefined) gid = numericGroup;
    else {
      const entry = lookup(database.group, groupPart);
      if (!entry) {
        throw new ChownError(
          `unable to find group ${groupPart}: ${database.group === undefined ? 'the image has no /etc/group' : 'no matching entries in group file'}`,
        );
      }
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}
