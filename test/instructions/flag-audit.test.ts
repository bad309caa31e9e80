// Unit: the flag audit. msbuild's flag table holds exactly the flags of current BuildKit's Dockerfile
// frontend; each is implemented with a behaviour test (named here and checked to exist) or refused
// with an error that names it, with a caret at the flag; the README's table is this table.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { flagTable, type FlagRow } from '../../engine/instructions/flag-table.js';
import { planBuild } from '../../engine/plan/plan.js';

const repo = new URL('../../../', import.meta.url).pathname;

/**
 * BuildKit's flags (moby/buildkit frontend/dockerfile/instructions: parse.go and the RUN pre-hooks in
 * commands_run*.go), read from its source at 73ed6825.
 */
const buildkitFlags = [
  'FROM --platform',
  'RUN --mount',
  'RUN --network',
  'RUN --security',
  'RUN --device',
  'COPY --chown',
  'COPY --from',
  'COPY --chmod',
  'COPY --link',
  'COPY --exclude',
  'COPY --parents',
  'ADD --chown',
  'ADD --chmod',
  'ADD --link',
  'ADD --keep-git-dir',
  'ADD --checksum',
  'ADD --unpack',
  'ADD --exclude',
  'HEALTHCHECK --interval',
  'HEALTHCHECK --timeout',
  'HEALTHCHECK --start-period',
  'HEALTHCHECK --start-interval',
  'HEALTHCHECK --retries',
];

/**
 * For every implemented flag: where its behaviour is checked — a test file and a test's title, or a
 * Dockerfile of the differential suite (built by BuildKit and msbuild, compared) and the flag in it.
 */
const behaviourTests: Record<string, Array<[file: string, title: string]>> = {
  'FROM --platform': [['test/plan/reference-parity.test.ts', 'FROM --platform accepts the build platform']],
  'RUN --mount': [
    ['test/steps/ssh-mounts.int.test.ts', "a step sees the forwarded agent's keys at SSH_AUTH_SOCK"],
    ['test/steps/mounts.int.test.ts', 'a secret is readable by its RUN'],
    ['test/steps/mounts.int.test.ts', 'a cache mount persists'],
  ],
  'RUN --network': [
    ['test/plan/reference-parity.test.ts', 'RUN --network takes default, none and host'],
    ['test/steps/run-flags.int.test.ts', 'RUN --network=none has no network'],
    ['test/steps/run-flags.int.test.ts', 'RUN --network=host runs in the host'],
  ],
  'RUN --security': [
    ['test/plan/reference-parity.test.ts', 'RUN --security=insecure needs security.insecure'],
    ['test/steps/run-flags.int.test.ts', 'RUN --security=insecure is refused without'],
  ],
  'COPY --from': [
    ['fixtures/dockerfiles/23-copy-from-named-stage/Dockerfile', 'COPY --from=build'],
    ['fixtures/dockerfiles/24-copy-from-index/Dockerfile', 'COPY --from=0'],
    ['fixtures/dockerfiles/25-copy-from-external-image/Dockerfile', 'COPY --from=busybox'],
  ],
  'COPY --chown': [
    ['fixtures/dockerfiles/12-copy-chown-by-name/Dockerfile', '--chown='],
    ['fixtures/dockerfiles/13-copy-chown-by-id/Dockerfile', '--chown='],
    ['test/copy/chown.test.ts', 'names are looked up in passwd and group'],
  ],
  'COPY --chmod': [
    ['fixtures/dockerfiles/14-copy-chmod-octal/Dockerfile', '--chmod='],
    ['test/copy/layout.test.ts', 'symbolic --chmod edits the mode like chmod(1)'],
  ],
  'ADD --chown': [['fixtures/dockerfiles/68-env-label-pairs-add-chown/Dockerfile', 'ADD --chown=1000:50']],
  'ADD --chmod': [
    ['fixtures/dockerfiles/59-add-local-file-not-archive/Dockerfile', 'ADD --chmod=0700'],
    ['fixtures/dockerfiles/68-env-label-pairs-add-chown/Dockerfile', '--chmod=0640'],
  ],
  'COPY --link': [
    ['test/copy/copy-flags.int.test.ts', 'COPY --link writes its parents anew'],
    ['test/plan/git-ref.test.ts', 'COPY --link --chown takes numeric IDs and root'],
  ],
  'COPY --parents': [
    ['test/copy/copy-flags.int.test.ts', 'COPY --parents keeps parent directories'],
    ['test/copy/copy-flags.int.test.ts', 'COPY --parents of a path that does not exist fails'],
  ],
  'COPY --exclude': [
    ['test/copy/copy-flags.int.test.ts', 'COPY --exclude=*.md src/ /s/'],
    ['test/copy/copy-flags.int.test.ts', '--exclude takes several patterns and ** reaches every depth'],
    ['test/copy/path-patterns.test.ts', '** crosses any number of them'],
  ],
  'ADD --link': [['test/copy/copy-flags.int.test.ts', 'COPY --link writes its parents anew']],
  'ADD --keep-git-dir': [['test/copy/git-sources.int.test.ts', 'git:// with --keep-git-dir keeps .git']],
  'ADD --checksum': [
    ['test/copy/copy-flags.int.test.ts', '--checksum is checked'],
    ['test/copy/git-sources.int.test.ts', 'ADD --checksum pins a Git source to a commit'],
    ['test/plan/git-ref.test.ts', '--checksum is checked as BuildKit checks it'],
  ],
  'ADD --unpack': [
    ['test/copy/copy-flags.int.test.ts', '--unpack=true unpacks it'],
    ['test/copy/copy-flags.int.test.ts', 'ADD --unpack=false keeps a local archive packed'],
  ],
  'ADD --exclude': [['test/copy/copy-flags.int.test.ts', 'ADD --exclude=**/x.txt src /a/']],
  'HEALTHCHECK --interval': [['fixtures/dockerfiles/38-healthcheck-options/Dockerfile', '--interval=5m']],
  'HEALTHCHECK --timeout': [['fixtures/dockerfiles/38-healthcheck-options/Dockerfile', '--timeout=3s']],
  'HEALTHCHECK --start-period': [['fixtures/dockerfiles/38-healthcheck-options/Dockerfile', '--start-period=10s']],
  'HEALTHCHECK --start-interval': [['test/plan/reference-parity.test.ts', 'HEALTHCHECK --start-interval']],
  'HEALTHCHECK --retries': [['fixtures/dockerfiles/38-healthcheck-options/Dockerfile', '--retries=4']],
};

const label = (row: FlagRow) => `${row.instruction} --${row.name}`;

test("the table holds exactly BuildKit's flags, each once", (t) => {
  t.deepEqual(flagTable.map(label).sort(), [...buildkitFlags].sort());
});

test('every implemented flag has behaviour tests, and they exist', (t) => {
  for (const row of flagTable.filter((r) => r.support === 'implemented')) {
    const tests = behaviourTests[label(row)] ?? [];
    t.true(tests.length > 0, `${label(row)} is implemented but names no behaviour test`);
    for (const [file, title] of tests) {
      const text = readFileSync(`${repo}${file}`, 'utf8');
      t.true(text.includes(title), `${file} has no test "${title}" for ${label(row)}`);
    }
  }
  for (const name of Object.keys(behaviourTests)) {
    t.true(
      flagTable.some((row) => label(row) === name && row.support === 'implemented'),
      `${name} has tests listed but is not an implemented flag`,
    );
  }
});

const argumentsOf: Record<string, string> = { RUN: 'true', COPY: 'a /b', ADD: 'a /b', HEALTHCHECK: 'CMD true' };

for (const row of flagTable.filter((r) => r.support === 'refused')) {
  test(`${label(row)} is refused by name, with a caret at the flag`, async (t) => {
    const flag = row.kind === 'bool' ? `--${row.name}` : `--${row.name}=x`;
    const source = `FROM busybox\n${row.instruction} --chown=1 ${flag} ${argumentsOf[row.instruction]}\n`.replace(
      row.instruction === 'RUN' || row.instruction === 'HEALTHCHECK' ? '--chown=1 ' : '\0',
      '',
    );
    const error = await t.throwsAsync(planBuild(source), { instanceOf: DockerfileSyntaxError });
    t.is(error?.message, `${label(row)} is not supported by msbuild: ${row.note}`);
    t.is(error?.position.line, 2);
    t.is(
      source
        .split('\n')[1]
        .slice((error?.position.column ?? 1) - 1)
        .split(' ')[0],
      flag,
    );
  });
}

function markdownTable(): string {
  const lines = ['| instruction | flag | since | msbuild | |', '|---|---|---|---|---|'];
  for (const row of flagTable) {
    lines.push(`| \`${row.instruction}\` | \`--${row.name}\` | ${row.since || '—'} | ${row.support} | ${row.note} |`);
  }
  return lines.join('\n');
}

test("the README's flag table is the table", (t) => {
  const readme = readFileSync(`${repo}README.md`, 'utf8');
  t.true(readme.includes(markdownTable()), `README.md should hold this table:\n${markdownTable()}`);
});
