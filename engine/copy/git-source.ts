// ADD's Git sources, fetched by msbuild with the machine's `git` as BuildKit's Git source checks them
// out: the ref (or the remote's default branch) fetched shallowly, the commit held to `--checksum`,
// submodules updated unless `submodules=false`, the contents of `subdir` (or the root) copied, `.git`
// kept only with `--keep-git-dir` (and no subdir). ssh remotes authenticate through the forwarded agent
// (`--ssh default`). Owns a temporary directory until disposed.
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ignoreRules } from '../context/ignore.js';
import { MsbuildError } from '../errors.js';
import type { GitRef } from '../plan/git-ref.js';
import type { CopyItem } from './resolve.js';
import { ContextFs } from './source-fs.js';

const run = promisify(execFile);

/** A failed fetch or checkout, in git's own words. */
export class GitSourceError extends MsbuildError {
  override readonly name = 'GitSourceError';
  override readonly code = 'MSBUILD_GIT_SOURCE';
}

/** A checkout, read like the build context (owned by root, modes as git wrote them). */
export class GitCheckoutFs extends ContextFs {
  override readonly description: string;
  constructor(
    root: string,
    remote: string,
    private readonly dir: string,
  ) {
    super(root, ignoreRules([]));
    this.description = `Git repository ${remote}`;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface GitCheckoutOptions {
  /** The source as written, for messages. */
  argument: string;
  tempDir: string;
  keepGitDir: boolean;
  /** `ADD --checksum` (a commit, or a prefix of one); the URL's own checksum must agree with it. */
  checksum: string;
  /** The agent socket ssh remotes use (`--ssh default`). */
  sshAuthSock?: string;
  signal?: AbortSignal;
}

const isCommitSha = (ref: string) => /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(ref);

export async function checkoutGitSource(
  ref: GitRef,
  options: GitCheckoutOptions,
): Promise<{ fs: GitCheckoutFs; item: CopyItem; commit: string }> {
  const dir = await mkdtemp(join(options.tempDir, 'git-'));
  const work = join(dir, 'checkout');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    // Never the user's config or credentials prompts: a build reads what the URL says.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
    ...(options.sshAuthSock !== undefined ? { SSH_AUTH_SOCK: options.sshAuthSock } : {}),
  };
  const git = async (...args: string[]) => {
    try {
      return (
        await run('git', ['-C', work, ...args], { env, signal: options.signal, maxBuffer: 16 << 20 })
      ).stdout.trim();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      const lines = stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('hint:'));
      const why = lines.length > 0 ? lines.slice(-6).join(' ') : (error as Error).message;
      throw new GitSourceError(`failed to fetch ${ref.remote}: git ${args[0]}: ${why}`);
    }
  };
  try {
    await run('git', ['init', '-q', work], { env, signal: options.signal });
    await git('remote', 'add', 'origin', ref.remote);
    let commit: string;
    if (isCommitSha(ref.ref)) {
      // A commit that is no branch tip may not be fetchable by itself: then every ref is fetched.
      await git('fetch', '-q', '--depth=1', 'origin', ref.ref).catch(() =>
        git('fetch', '-q', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'),
      );
      commit = await git('rev-parse', '--verify', `${ref.ref}^{commit}`);
    } else {
      await git('fetch', '-q', '--depth=1', '--no-tags', 'origin', ref.ref === '' ? 'HEAD' : ref.ref);
      commit = await git('rev-parse', '--verify', 'FETCH_HEAD^{commit}');
    }
    const checksum = options.checksum !== '' ? options.checksum : ref.checksum;
    if (options.checksum !== '' && ref.checksum !== '' && options.checksum !== ref.checksum)
      throw new GitSourceError(`checksum mismatch "${options.checksum}" != "${ref.checksum}"`);
    if (checksum !== '' && !commit.startsWith(checksum.toLowerCase()))
      throw new GitSourceError(`expected checksum to match ${checksum}, got ${commit}`);
    await git('checkout', '-q', '--detach', commit);
    if (ref.submodules !== false) await git('submodule', 'update', '-q', '--init', '--recursive', '--depth=1');
    const keepGitDir = (ref.keepGitDir ?? options.keepGitDir) && ref.subdir === '';
    if (keepGitDir) {
      await git('reflog', 'expire', '--all', '--expire=now');
      await rm(join(work, '.git', 'FETCH_HEAD'), { force: true });
    } else await rm(join(work, '.git'), { recursive: true, force: true });
    const root = ref.subdir === '' ? work : join(work, ref.subdir);
    const stats = await lstat(root).catch(() => undefined);
    if (!stats?.isDirectory())
      throw new GitSourceError(`invalid subdir ${ref.subdir}: not a directory in ${ref.remote} at ${commit}`);
    const fs = new GitCheckoutFs(root, ref.remote, dir);
    const node = await fs.lstat('');
    if (!node) throw new GitSourceError(`checkout of ${ref.remote} is empty`);
    // The commit, not the files' bytes, identifies what is copied (a kept .git's index holds times).
    const identity = ['git', ref.remote, commit, ref.subdir, keepGitDir ? 'keep-git-dir' : ''].join(' ');
    return { fs, item: { name: '', path: '', argument: options.argument, root: node, digestAs: identity }, commit };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
