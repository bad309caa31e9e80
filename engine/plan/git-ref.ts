// ADD's Git sources, recognised and parsed as BuildKit's dfgitutil.ParseGitRef does: `https://…/repo.git`
// (an HTTP(S) URL is Git only with `.git`), `git://`, `ssh://`, scp-style `git@host:path`, with a
// `#ref:subdir` fragment and the query keys BuildKit knows (ref, tag, branch, subdir, checksum/commit,
// keep-git-dir, submodules).
import { MsbuildError } from '../errors.js';

export interface GitRef {
  /** The repository, without fragment and query. */
  remote: string;
  /** Branch, tag, commit or full ref; '' for the remote's default branch. */
  ref: string;
  /** Directory of the repository whose contents are copied; '' for the root. */
  subdir: string;
  /** A commit (prefix) the checkout must be. */
  checksum: string;
  keepGitDir?: boolean;
  submodules?: boolean;
  /** ssh transport (`git@host:path`, `ssh://`): authenticated through the forwarded SSH agent. */
  ssh: boolean;
}

/** A source that is Git but malformed (BuildKit refuses it with this message). */
export class GitRefError extends MsbuildError {
  override readonly name = 'GitRefError';
  override readonly code = 'MSBUILD_GIT_REF';
}

const scpStyle = /^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/;
const supported = new Set(['http', 'https', 'ssh', 'git']);

/** `ref:subdir` → both, the subdir cleaned and relative. */
function fragmentOptions(fragment: string): { ref: string; subdir: string } {
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const raw = colon < 0 ? '' : fragment.slice(colon + 1);
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return { ref, subdir: parts.join('/') };
}

function boolQuery(key: string, value: string | null): boolean {
  if (value === null || value === '') return true;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new GitRefError(`invalid ${key} value: ${JSON.stringify(value)}`);
}

/** The source as a Git reference, or undefined when it is not one (a local path, a plain URL). */
export function parseGitRef(source: string): GitRef | undefined {
  if (source.startsWith('./') || source.startsWith('../')) return undefined;
  let remote: string;
  let fragment: string;
  let query: URLSearchParams;
  let ssh: boolean;
  const scheme = /^([a-zA-Z0-9]+):\/\//.exec(source);
  if (scheme) {
    const protocol = scheme[1].toLowerCase();
    if (!supported.has(protocol)) return undefined;
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new GitRefError(`invalid Git URL ${JSON.stringify(source)}`);
    }
    // An HTTP(S) URL is a Git repository only when its path ends in `.git`.
    if ((protocol === 'http' || protocol === 'https') && !url.pathname.endsWith('.git')) return undefined;
    fragment = decodeURIComponent(url.hash.slice(1));
    query = new URLSearchParams(url.search);
    url.hash = '';
    url.search = '';
    remote = url.toString();
    ssh = protocol === 'ssh';
  } else {
    const match = scpStyle.exec(source);
    if (!match) return undefined;
    remote = `${match[1]}@${match[2]}:${match[3]}`;
    query = new URLSearchParams(match[4] ?? '');
    fragment = match[5] ?? '';
    ssh = true;
  }
  const ref: GitRef = { remote, ...fragmentOptions(fragment), checksum: '', ssh };
  let tag = '';
  let branch = '';
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    if (values.length > 1) throw new GitRefError(`query ${JSON.stringify(key)} has multiple values`);
    const value = values[0];
    if (value === '' && !['submodules', 'keep-git-dir', 'fetch-by-commit'].includes(key))
      throw new GitRefError(`query ${JSON.stringify(key)} has no value`);
    switch (key) {
      case 'ref':
        if (ref.ref !== '' && ref.ref !== value) throw new GitRefError(`ref conflicts: "${ref.ref}" vs "${value}"`);
        ref.ref = value;
        break;
      case 'tag':
        tag = value.startsWith('refs/tags/') ? value : `refs/tags/${value}`;
        break;
      case 'branch':
        branch = value.startsWith('refs/heads/') ? value : `refs/heads/${value}`;
        break;
      case 'subdir':
        if (ref.subdir !== '' && ref.subdir !== value)
          throw new GitRefError(`subdir conflicts: "${ref.subdir}" vs "${value}"`);
        ref.subdir = fragmentOptions(`:${value}`).subdir;
        break;
      case 'checksum':
      case 'commit':
        ref.checksum = value;
        break;
      case 'keep-git-dir':
        ref.keepGitDir = boolQuery(key, value);
        break;
      case 'submodules':
        ref.submodules = boolQuery(key, value);
        break;
      case 'mtime':
      case 'fetch-by-commit':
        // BuildKit knows these; msbuild refuses them rather than ignore them.
        throw new GitRefError(`the Git URL query ${JSON.stringify(key)} is not supported by msbuild`);
      default:
        throw new GitRefError(`unexpected query ${JSON.stringify(key)}`);
    }
  }
  if (tag !== '' && branch !== '') throw new GitRefError('branch conflicts with tag');
  for (const named of [tag, branch]) {
    if (named === '') continue;
    if (ref.ref !== '' && ref.ref !== named) throw new GitRefError(`ref conflicts: "${ref.ref}" vs "${named}"`);
    ref.ref = named;
  }
  return ref;
}
