// Integration: load and limits. Twenty builds at once against one daemon and one cache directory (as
// separate processes and as one bake) all succeed with a consistent index and bounded memory; RUN
// resource limits reach the container; endless RUN output does not grow msbuild's memory.
import test from 'ava';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBakeFiles, resolveTargets } from '../engine/bake/config.js';
import { runBake } from '../engine/bake/run.js';
import { assertIndexValid } from './support/cache-index.js';
import { cliPath } from './support/cli.js';
import {
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  runImage,
  uniqueName,
} from './support/docker.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

const rssReport = fileURLToPath(new URL('../../test/support/rss-report.cjs', import.meta.url));

/** Runs the CLI with a preload that reports its peak RSS; returns the exit code and the peak in kB. */
async function measuredBuild(args: string[]): Promise<{ code: number; maxRssKb: number; stderr: string }> {
  const result = await runCommand(process.execPath, ['-r', rssReport, cliPath, ...args], { timeoutMs: 300_000 });
  const rss = /MAXRSS=(\d+)/.exec(result.stderr);
  return { code: result.code, maxRssKb: rss ? Number(rss[1]) : Infinity, stderr: result.stderr };
}

async function indexIsWhole(cacheDir: string): Promise<number> {
  // Entries live under their daemon's scope (daemons/<id>/entries/<shard>/<key>.json).
  let files = 0;
  for (const daemon of await readdir(join(cacheDir, 'daemons'))) {
    const root = join(cacheDir, 'daemons', daemon, 'entries');
    for (const shard of await readdir(root)) {
      for (const name of await readdir(join(root, shard))) {
        if (!/^[0-9a-f]{64}\.json$/.test(name)) throw new Error(`stray file in the index: ${name}`);
        JSON.parse(await readFile(join(root, shard, name), 'utf8'));
        files++;
      }
    }
  }
  return files;
}

test('20 msbuild processes at once on one cache dir: all succeed, the index is whole, memory stays bounded', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-load-cache-'));
  cleanup.push(() => removeDir(cacheDir));
  const contexts = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      makeContext({
        Dockerfile: `FROM busybox\nCOPY f /f\nRUN cat /f > /g && echo ${i % 5} >> /g\n`,
        f: `file ${i % 4}\n`,
      }),
    ),
  );
  const tags = contexts.map((_, i) => `${uniqueName(`msbuild-load-${i}`)}:latest`);
  cleanup.push(...contexts.map((c) => () => removeDir(c)), () => removeImages(...tags));
  const results = await Promise.all(
    contexts.map((context, i) =>
      measuredBuild([
        'build',
        '--progress',
        'quiet',
        '--network',
        'none',
        '--pull',
        'never',
        '--cache-dir',
        cacheDir,
        '-t',
        tags[i],
        context,
      ]),
    ),
  );
  for (const [i, result] of results.entries()) t.is(result.code, 0, `build ${i}: ${result.stderr}`);
  const peak = Math.max(...results.map((r) => r.maxRssKb));
  t.true(peak < 300 * 1024, `peak RSS ${peak} kB`);
  t.true((await indexIsWhole(cacheDir)) >= 4);
  await assertIndexValid(t, cacheDir);
  t.is((await runImage(tags[7], ['cat', '/g'])).trim(), 'file 3\n2', 'build 7 copied file 3 and appended 7 % 5');
});

test('a bake of 20 targets over one work pool and cache: all succeed', async (t) => {
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS base',
      'RUN echo base > /base',
      ...Array.from({ length: 20 }, (_, i) => `FROM base AS t${i}\nRUN echo ${i} > /t`),
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-load-bake-'));
  const names = Array.from({ length: 20 }, (_, i) => `${uniqueName(`msbuild-bake20-${i}`)}:latest`);
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(...names),
  );
  const hcl = names.map((name, i) => `target "t${i}" {\n  target = "t${i}"\n  tags = ["${name}"]\n}\n`).join('');
  const { config } = parseBakeFiles([{ name: 'docker-bake.hcl', text: hcl }], { cwd: context });
  const outcomes = await runBake(
    resolveTargets(
      config,
      names.map((_, i) => `t${i}`),
    ).targets,
    {
      cwd: context,
      cacheDir,
      network: 'none',
      pull: 'never',
    },
  );
  t.deepEqual(
    outcomes.filter((o) => o.error).map((o) => `${o.target}: ${o.error?.message}`),
    [],
  );
  t.is(
    outcomes.reduce((sum, o) => sum + (o.result?.summary.stepsRun ?? 0), 0),
    21,
    'the shared base ran once',
  );
  t.is((await runImage(names[13], ['cat', '/t'])).trim(), '13');
});

test('resource limits reach RUN containers', async (t) => {
  const context = await makeContext({
    Dockerfile:
      'FROM busybox\nRUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null | head -n1 > /memory; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null | head -n1 > /cpu\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-limits-'));
  const tag = `${uniqueName('msbuild-limits')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag),
  );
  const result = await runCommand(process.execPath, [
    cliPath,
    'build',
    '--progress',
    'quiet',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    '-t',
    tag,
    '--memory',
    '64m',
    '--cpu-quota',
    '50000',
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  t.is((await runImage(tag, ['cat', '/memory'])).trim(), '67108864');
  t.regex((await runImage(tag, ['cat', '/cpu'])).trim(), /^50000/);
});

test('a RUN with endless output (200 MB) does not grow msbuild’s memory', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM busybox\nRUN yes "a long line of output that goes on and on" | head -c 200000000\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-output-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  const result = await measuredBuild([
    'build',
    '--progress',
    'quiet',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  t.true(result.maxRssKb < 250 * 1024, `peak RSS ${result.maxRssKb} kB`);
});
