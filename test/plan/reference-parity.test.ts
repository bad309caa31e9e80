// Unit: the Dockerfile reference's rules the plan applies — ENV and LABEL pairs expand against the
// environment before the instruction, ARG defaults one after another (current BuildKit), WORKDIR keeps
// its path in the config and creates the cleaned one, FROM --platform, and the entitlements RUN needs.
import test from 'ava';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { formatPlatform, hostPlatform } from '../../engine/plan/args.js';
import { checkEntitlements, grantedFor, parseEntitlements } from '../../engine/plan/entitlements.js';
import { planBuild, type BuildPlan } from '../../engine/plan/plan.js';

const finalConfig = (plan: BuildPlan) => plan.stages.at(-1)?.final.config.config;
const envOf = (plan: BuildPlan) => finalConfig(plan)?.Env ?? [];

test('ENV pairs expand against the environment before the instruction (ENV A=changed N=$A gives N=alpha)', async (t) => {
  const plan = await planBuild('FROM scratch\nENV A=alpha\nENV A=changed N=$A\nENV ONE=1\nENV ONE=uno FIVE=$ONE\n');
  t.true(envOf(plan).includes('N=alpha'));
  t.true(envOf(plan).includes('A=changed'));
  t.true(envOf(plan).includes('FIVE=1'));
  t.true(envOf(plan).includes('ONE=uno'));
  const history = plan.stages[0].final.config.history.map((h) => h.created_by);
  t.true(history.includes('ENV A=changed N=alpha'));
});

test('the reference example: ENV abc=hello, ENV abc=bye def=$abc, ENV ghi=$abc', async (t) => {
  const plan = await planBuild('FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n');
  t.true(envOf(plan).includes('def=hello'));
  t.true(envOf(plan).includes('ghi=bye'));
});

test('LABEL pairs expand against the environment before the instruction too', async (t) => {
  const plan = await planBuild('FROM scratch\nENV A=alpha\nLABEL x=1 y=$A\nENV A=beta\nLABEL x=2 z=${A}\n');
  t.deepEqual(finalConfig(plan)?.Labels, { x: '2', y: 'alpha', z: 'beta' });
});

test('a variable an ENV sets is not seen by its own keys either', async (t) => {
  const plan = await planBuild('FROM scratch\nENV K=first\nENV K=second ${K}_copy=x\n');
  t.true(envOf(plan).includes('first_copy=x'));
});

test('ARG defaults expand one after another, as current BuildKit does (20.10 expanded them first)', async (t) => {
  const plan = await planBuild('FROM scratch\nARG B=beta\nARG B=bchanged M=$B\nENV M=$M\n');
  t.true(envOf(plan).includes('M=bchanged'));
});

test('WORKDIR keeps the path as written in the config and creates only the cleaned directory', async (t) => {
  const plan = await planBuild('FROM scratch\nWORKDIR /abs/./x/../y/\n');
  const step = plan.stages[0].steps[0];
  t.is(finalConfig(plan)?.WorkingDir, '/abs/./x/../y/');
  t.is(step.history.created_by, 'WORKDIR /abs/./x/../y/');
  t.deepEqual(step.action, { kind: 'workdir', path: '/abs/y', user: '' });
});

test('a relative WORKDIR is joined and cleaned', async (t) => {
  const plan = await planBuild('FROM scratch\nWORKDIR /a\nWORKDIR b/../c\n');
  t.is(finalConfig(plan)?.WorkingDir, '/a/c');
  t.like(plan.stages[0].steps[1].action, { kind: 'workdir', path: '/a/c' });
});

test('FROM --platform accepts the build platform and refuses another, with a caret at the flag', async (t) => {
  const host = formatPlatform(hostPlatform());
  await t.notThrowsAsync(planBuild('FROM --platform=$BUILDPLATFORM scratch\nRUN true\n'));
  await t.notThrowsAsync(planBuild(`FROM --platform=${host} scratch AS a\nFROM --platform=$TARGETPLATFORM a\n`));
  const other = hostPlatform().architecture === 'arm64' ? 'linux/amd64' : 'linux/arm64';
  const error = await t.throwsAsync(planBuild(`FROM scratch\nCOPY a b\nFROM --platform=${other} busybox\nRUN true\n`), {
    instanceOf: DockerfileSyntaxError,
  });
  t.is(
    error?.message,
    `FROM --platform=${other} is not supported by msbuild: it builds for ${host} only (no emulation)`,
  );
  t.deepEqual(error?.position, { line: 3, column: 6 });
});

test('FROM --platform of a stage the target does not need is not checked', async (t) => {
  await t.notThrowsAsync(
    planBuild('FROM --platform=linux/s390x busybox AS other\nFROM scratch AS out\n', { target: 'out' }),
  );
});

test('RUN --network takes default, none and host; anything else is refused as BuildKit words it', async (t) => {
  for (const mode of ['default', 'none', 'host']) {
    const plan = await planBuild(`FROM busybox\nRUN --network=${mode} true\n`);
    t.like(plan.stages[0].steps[0].action, { kind: 'run', network: mode });
  }
  await t.throwsAsync(planBuild('FROM busybox\nRUN --network=bridge true\n'), {
    message: 'invalid network mode "bridge"',
  });
  await t.throwsAsync(planBuild('FROM busybox\nRUN --security=privileged true\n'), {
    message: 'security "privileged" is not valid',
  });
});

test('RUN --network=host needs network.host; --network host on the build grants it, as buildx does', async (t) => {
  const plan = await planBuild('FROM busybox\nRUN true\nRUN --network=host wget -q http://127.0.0.1/\n');
  const error = t.throws(() => checkEntitlements(plan, grantedFor([], 'default')), {
    instanceOf: DockerfileSyntaxError,
  });
  t.regex(error?.message ?? '', /^network\.host is not allowed/);
  t.deepEqual(error?.position, { line: 3, column: 1 });
  t.notThrows(() => checkEntitlements(plan, grantedFor(['network.host'], 'default')));
  t.notThrows(() => checkEntitlements(plan, grantedFor([], 'host')));
});

test('RUN --security=insecure needs security.insecure, with BuildKit words first', async (t) => {
  const plan = await planBuild('FROM busybox\nRUN --security=insecure true\n');
  t.throws(() => checkEntitlements(plan, grantedFor([], 'host')), {
    message: /^security\.insecure is not allowed: .*--allow security\.insecure/,
  });
  t.notThrows(() => checkEntitlements(plan, grantedFor(['security.insecure'], undefined)));
  const sandbox = await planBuild('FROM busybox\nRUN --security=sandbox true\n');
  t.notThrows(() => checkEntitlements(sandbox, grantedFor([], undefined)));
});

test('--allow takes BuildKit entitlement names only', (t) => {
  t.deepEqual([...parseEntitlements(['network.host', 'security.insecure', 'device=nvidia.com/gpu'])].sort(), [
    'device',
    'network.host',
    'security.insecure',
  ]);
  t.throws(() => parseEntitlements(['network']), { message: /^unknown entitlement network/ });
});

test('HEALTHCHECK --start-interval lands in the config beside the other durations', async (t) => {
  const plan = await planBuild('FROM scratch\nHEALTHCHECK --start-interval=2s --start-period=1m CMD true\n');
  t.like(finalConfig(plan)?.Healthcheck, { StartInterval: 2e9, StartPeriod: 60e9, Test: ['CMD-SHELL', 'true'] });
});
