// Unit: hostile Dockerfiles. Thousands of generated and mutated inputs never crash the parser or the
// planner with anything but DockerfileSyntaxError or PlanError; huge inputs finish in bounded time.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { PlanError } from '../../engine/plan/graph.js';
import { planBuild } from '../../engine/plan/plan.js';

const apps = new URL('../../../fixtures/apps/', import.meta.url).pathname;
const corpus = ['go-client-server', 'static-site', 'test-stage'].map((app) =>
  readFileSync(`${apps}${app}/Dockerfile`, 'utf8'),
);
corpus.push(
  [
    '# escape=`',
    'ARG BASE=busybox',
    'FROM ${BASE} AS one',
    'ENV A=1 B="two words" `',
    '    C=3',
    'LABEL x=y',
    'RUN <<EOF',
    'echo hi',
    'EOF',
    'COPY --chown=1:1 --chmod=0755 <<-"X" /f',
    '\tcontent',
    'X',
    'FROM one AS two',
    'ONBUILD RUN echo x',
    'HEALTHCHECK --interval=5s CMD ["true"]',
    'EXPOSE 80/tcp 53/udp',
    'VOLUME ["/data"]',
    'RUN --mount=type=cache,target=/c --network=none true',
    'COPY --from=one /a /b',
    'SHELL ["/bin/sh", "-c"]',
  ].join('\n'),
);

function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const fragments = [
  '\\',
  '`',
  '"',
  "'",
  '[',
  ']',
  '<<',
  '<<-',
  'EOF',
  '--',
  '--from=',
  '#',
  '# escape=`\n',
  '=',
  '$',
  '${',
  '}',
  ':-',
  '\n',
  '\r\n',
  '\\\n',
  ' ',
  '\t',
  '\0',
  '\uFFFD',
  'é',
  'FROM ',
  'RUN ',
  'COPY ',
  'ARG ',
  'ENV ',
  'ONBUILD ',
  'AS ',
  'scratch',
  '--target',
  '0',
  '-1',
  'x',
];

async function survives(text: string): Promise<string | undefined> {
  try {
    await planBuild(text);
    return undefined;
  } catch (error) {
    if (error instanceof DockerfileSyntaxError || error instanceof PlanError) return undefined;
    return `${(error as Error).stack}\n--- input ---\n${JSON.stringify(text)}`;
  }
}

test('4,000 mutated and random Dockerfiles: only DockerfileSyntaxError or PlanError', async (t) => {
  const random = prng(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const failures: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let text: string;
    if (i % 4 === 3) {
      text = Array.from({ length: 1 + Math.floor(random() * 30) }, () => pick(fragments)).join('');
    } else {
      text = pick(corpus);
      for (let m = 0; m < 1 + Math.floor(random() * 5); m++) {
        const at = Math.floor(random() * (text.length + 1));
        text =
          random() < 0.6
            ? text.slice(0, at) + pick(fragments) + text.slice(at)
            : text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 4));
      }
    }
    const failure = await survives(text);
    if (failure) failures.push(failure);
  }
  t.deepEqual(failures.slice(0, 3), []);
});

test('random bytes (invalid UTF-8, NULs, control characters) never crash the parser', async (t) => {
  const random = prng(7);
  for (let i = 0; i < 1000; i++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    t.is(await survives(bytes.toString('utf8')), undefined);
  }
});

function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  return work().then((value) => ({ value, ms: performance.now() - start }));
}

test.serial('1,000 stages plan in bounded time and memory', async (t) => {
  const stages = Array.from(
    { length: 1000 },
    (_, i) => `FROM ${i === 0 ? 'busybox' : `s${i - 1}`} AS s${i}\nRUN echo ${i}\n`,
  ).join('');
  const before = process.memoryUsage().heapUsed;
  const { value: plan, ms } = await timed(() => planBuild(stages));
  t.is(plan.stages.length, 1000);
  t.true(ms < 10_000, `${ms} ms`);
  t.true(process.memoryUsage().heapUsed - before < 512 * 1024 * 1024);
});

test.serial('a chain of 10,000 stages plans: no walk of the stage graph recurses once per stage', async (t) => {
  const chain = `FROM busybox AS s0\n${Array.from({ length: 9999 }, (_, i) => `FROM s${i} AS s${i + 1}\n`).join('')}`;
  const { value: plan, ms } = await timed(() => planBuild(chain));
  t.is(plan.stages.length, 10_000);
  t.is(plan.target.displayName, 's9999');
  t.true(ms < 30_000, `${ms} ms`);
  // A cycle through the whole chain is still found and named.
  const cycle = chain.replace('FROM busybox AS s0\n', 'FROM busybox AS s0\nCOPY --from=s9999 /a /a\n');
  const error = await t.throwsAsync(async () => planBuild(cycle), { instanceOf: DockerfileSyntaxError });
  t.regex(error?.message ?? '', /^circular dependency detected on stage: s0 -> s9999 -> s9998 -> .* -> s1 -> s0$/);
});

test.serial(
  '20,000 ENV, LABEL or EXPOSE lines plan in linear time and memory: each step shares the config of the steps before',
  async (t) => {
    for (const line of [
      (i: number) => `ENV V${i}=${'y'.repeat(40)}`,
      (i: number) => `LABEL l${i}=v`,
      (i: number) => `EXPOSE ${i + 1}`,
    ]) {
      const text = `FROM busybox\n${Array.from({ length: 20_000 }, (_, i) => line(i)).join('\n')}\n`;
      const before = process.memoryUsage().heapUsed;
      const { value: plan, ms } = await timed(() => planBuild(text));
      const steps = plan.stages[0].steps;
      t.is(steps.length, 20_000);
      t.true(ms < 30_000, `${ms} ms`);
      t.true(process.memoryUsage().heapUsed - before < 256 * 1024 * 1024, 'well under what 20,000 copies would take');
      const config = steps[19_999].configAfter.config;
      t.is(
        Object.keys(config.Labels ?? {}).length +
          Object.keys(config.ExposedPorts ?? {}).length +
          (config.Env ?? []).length >
          20_000,
        true,
      );
      t.is(
        steps[9].configAfter.config.Env?.length ?? 0,
        line(0).startsWith('ENV') ? 11 : 1,
        'an early step sees only what was set by then',
      );
    }
  },
);

test('10,000 steps in one stage and 10,000 continuation lines parse in bounded time; a 1 MB line is refused as BuildKit refuses it', async (t) => {
  const kinds = [
    (i: number) => `RUN echo ${i}`,
    (i: number) => `ENV V${i % 20}=${i}`,
    (i: number) => `COPY f${i} /f${i}`,
    (i: number) => `LABEL step=${i}`,
    (i: number) => `WORKDIR /w${i % 7}`,
  ];
  const steps = `FROM busybox\n${Array.from({ length: 10_000 }, (_, i) => kinds[i % kinds.length](i)).join('\n')}\n`;
  const many = await timed(() => planBuild(steps));
  t.is(many.value.stages[0].steps.length, 10_000);
  t.true(many.ms < 20_000, `${many.ms} ms`);
  const continued = `FROM busybox\nRUN echo start \\\n${Array.from({ length: 10_000 }, (_, i) => `  part${i} \\`).join('\n')}\n  end\n`;
  const deep = await timed(() => planBuild(continued));
  t.true(deep.ms < 10_000, `${deep.ms} ms`);
  // BuildKit's scanner reads lines of up to 64 KiB and refuses longer ones; so does msbuild, at once.
  const nearLimit = `FROM busybox\nRUN echo ${'x'.repeat(65_000)}\n`;
  t.is((await timed(() => planBuild(nearLimit))).value.stages[0].steps.length, 1);
  const huge = `FROM busybox\nRUN echo ${'x'.repeat(1024 * 1024)}\n`;
  const started = performance.now();
  const refused = await t.throwsAsync(async () => planBuild(huge), { instanceOf: DockerfileSyntaxError });
  t.is(refused?.message, 'dockerfile line greater than max allowed size of 65535');
  t.is((refused as DockerfileSyntaxError).position.line, 2);
  t.true(performance.now() - started < 10_000);
});

test('expansions nested past the stack, ONBUILD chains and values that double at every ENV or ARG: clear errors, bounded memory', async (t) => {
  const refused = async (text: string, message: RegExp) => {
    const before = process.memoryUsage().rss;
    const error = await t.throwsAsync(async () => planBuild(text), { instanceOf: DockerfileSyntaxError });
    t.regex(error?.message ?? '', message);
    t.true(process.memoryUsage().rss - before < 1024 * 1024 * 1024, 'well under a GiB more');
  };
  await refused(`FROM busybox\nENV B=${'${A:-'.repeat(3000)}x${'}'.repeat(3000)}\n`, /nested too deeply/);
  await refused(
    `FROM busybox\n${'ONBUILD '.repeat(5000)}RUN x\n`,
    /chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/,
  );
  for (const keyword of ['ENV', 'ARG']) {
    const doubling = Array.from({ length: 30 }, (_, i) => `${keyword} A${i + 1}=\${A${i}}\${A${i}}`).join('\n');
    await refused(
      `FROM busybox\n${keyword} A0=xxxxxxxx\n${doubling}\n`,
      /the expanded value would be \d+ characters, more than 1048576/,
    );
  }
  // Within the limits, ONBUILD nests as BuildKit's parser nests it (its instruction layer refuses it).
  const { parseDockerfile } = await import('../../engine/dockerfile/parser.js');
  t.is(parseDockerfile(`FROM busybox\n${'ONBUILD '.repeat(10)}RUN x\n`).instructions[1].child?.keyword, 'onbuild');
});
