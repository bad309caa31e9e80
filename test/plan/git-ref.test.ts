// Unit: Git sources recognised and parsed as BuildKit's ParseGitRef parses them, and the checks ADD and
// COPY make of them (and of --checksum, --keep-git-dir, --link --chown) before anything runs.
import test from 'ava';
import { parseGitRef } from '../../engine/plan/git-ref.js';
import { planBuild } from '../../engine/plan/plan.js';

test('which sources are Git: .git HTTP URLs, git://, ssh://, scp-style; not plain URLs or paths', (t) => {
  t.like(parseGitRef('https://example.invalid/org/repo.git#v1.2:docs/sub'), {
    remote: 'https://example.invalid/org/repo.git',
    ref: 'v1.2',
    subdir: 'docs/sub',
    ssh: false,
  });
  t.like(parseGitRef('git@example.invalid:org/repo.git#main'), {
    remote: 'git@example.invalid:org/repo.git',
    ref: 'main',
    ssh: true,
  });
  t.like(parseGitRef('ssh://git@example.invalid/org/repo'), { ssh: true, ref: '' });
  t.like(parseGitRef('git://127.0.0.1:9418/repo.git'), { remote: 'git://127.0.0.1:9418/repo.git' });
  t.is(parseGitRef('https://example.invalid/archive.tar.gz'), undefined);
  t.is(parseGitRef('./repo.git'), undefined);
  t.is(parseGitRef('src/repo.git'), undefined);
  t.is(parseGitRef('ftp://example.invalid/repo.git'), undefined);
});

test('query keys as BuildKit reads them: ref, tag, branch, subdir, checksum, keep-git-dir', (t) => {
  t.like(parseGitRef('https://x.invalid/r.git?tag=v1&subdir=a/../b&keep-git-dir'), {
    ref: 'refs/tags/v1',
    subdir: 'b',
    keepGitDir: true,
  });
  t.like(parseGitRef('https://x.invalid/r.git?branch=dev&checksum=abc123'), {
    ref: 'refs/heads/dev',
    checksum: 'abc123',
  });
  t.throws(() => parseGitRef('https://x.invalid/r.git?tag=a&branch=b'), { message: 'branch conflicts with tag' });
  t.throws(() => parseGitRef('https://x.invalid/r.git?ref=dev#main'), { message: /ref conflicts/ });
  t.throws(() => parseGitRef('https://x.invalid/r.git?color=red'), { message: 'unexpected query "color"' });
  t.throws(() => parseGitRef('https://x.invalid/r.git?mtime=commit'), {
    message: 'the Git URL query "mtime" is not supported by msbuild',
  });
});

const refused = async (t: import('ava').ExecutionContext, dockerfile: string, message: string | RegExp) =>
  t.throwsAsync(planBuild(`FROM scratch\n${dockerfile}\n`), { message });

test('COPY refuses Git and URL sources; --checksum is checked as BuildKit checks it', async (t) => {
  await refused(t, 'COPY https://x.invalid/r.git /src/', "source can't be a git ref for COPY");
  await refused(t, 'COPY https://x.invalid/file /f', "source can't be a URL for COPY");
  await refused(t, 'ADD --checksum=sha256:abc https://x.invalid/file /f', 'invalid checksum digest length');
  await refused(t, 'ADD --checksum=md5:abc https://x.invalid/file /f', 'unsupported digest algorithm');
  await refused(t, 'ADD --checksum=abc https://x.invalid/file /f', 'invalid checksum digest format');
  await refused(
    t,
    'ADD --checksum=xyz https://x.invalid/r.git /src/',
    'invalid checksum xyz for Git URL, expected hex commit hash',
  );
  await refused(t, 'ADD --checksum=abc local.txt /f', 'checksum requires HTTP(S) or Git sources');
  await refused(
    t,
    'ADD --checksum=abc https://x.invalid/r.git a /f/',
    "checksum can't be specified for multiple sources",
  );
  await refused(t, 'ADD --checksum=abc https://x.invalid/r.git?checksum=def /src/', 'checksum mismatch "abc" != "def"');
  await refused(
    t,
    'ADD --keep-git-dir=false https://x.invalid/r.git?keep-git-dir=true /src/',
    'inconsistent keep-git-dir configuration',
  );
  await t.notThrowsAsync(planBuild(`FROM scratch\nADD --checksum=sha256:${'a'.repeat(64)} https://x.invalid/f /f\n`));
});

test('COPY --link --chown takes numeric IDs and root, not names', async (t) => {
  await refused(t, 'COPY --link --chown=app:app a /x/', /^--chown=app:app with --link needs numeric IDs/);
  await t.notThrowsAsync(planBuild('FROM scratch\nCOPY --link --chown=1000:root a /x/\n'));
  // With --chmod BuildKit copies without linking, so names are fine.
  const plan = await planBuild('FROM scratch\nCOPY --link --chown=app --chmod=644 a /x/\n');
  t.like(plan.stages[0].steps[0].action, { kind: 'copy', link: false });
});
