// Unit: the plan — stage graph, target pruning, parallel levels, ARG scoping and expansion in scope.
// No Docker: base images are unknown (or given by a fake resolver).
import test from 'ava';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { emptyImageConfig, type ImageConfig } from '../../engine/image/config.js';
import { PlanError } from '../../engine/plan/graph.js';
import { planBuild, type BuildPlan } from '../../engine/plan/plan.js';

const seed = `FROM golang:1.19-bookworm AS base
WORKDIR /src
COPY go.mod go.sum .
RUN go mod download
COPY . .
FROM base AS build-client
RUN go build -o /bin/client ./cmd/client
FROM base AS build-server
RUN go build -o /bin/server ./cmd/server
FROM scratch AS prod
COPY --from=build-client /bin/client /bin/
COPY --from=build-server /bin/server /bin/
ENTRYPOINT ["/bin/server"]
`;

const levelNames = (plan: BuildPlan) => plan.levels.map((level) => level.map((i) => plan.graph.stages[i].displayName));
const stageNames = (plan: BuildPlan) => plan.stages.map((s) => s.node.displayName);
const steps = (plan: BuildPlan, stage: string) =>
  plan.stages.find((s) => s.node.displayName === stage)?.steps.map((s) => s.displayText) ?? [];

test('the seed example: base, then build-client and build-server at once, then prod', async (t) => {
  const plan = await planBuild(seed);
  t.deepEqual(levelNames(plan), [['base'], ['build-client', 'build-server'], ['prod']]);
  t.is(plan.target.displayName, 'prod');
  t.deepEqual(plan.externalImages, ['golang:1.19-bookworm']);
});

test('--target build-client drops build-server and prod', async (t) => {
  const plan = await planBuild(seed, { target: 'build-client' });
  t.deepEqual(stageNames(plan), ['base', 'build-client']);
  t.deepEqual(levelNames(plan), [['base'], ['build-client']]);
});

test('an unused stage that would fail is never planned', async (t) => {
  const plan = await planBuild(
    'FROM busybox AS ok\nRUN true\nFROM busybox AS broken\nCOPY --from=nowhere ${UNDEFINED:?must be set} /x\nFROM ok\n',
  );
  t.deepEqual(stageNames(plan), ['ok', 'stage-2']);
});

test('an unknown target names the stages and suggests the closest', async (t) => {
  const error = await t.throwsAsync(planBuild(seed, { target: 'build-clinet' }), { instanceOf: PlanError });
  t.regex(
    error?.message ?? '',
    /target stage "build-clinet" could not be found \(stages: base, build-client, build-server, prod\)/,
  );
  t.regex(error?.message ?? '', /did you mean build-client\?/);
});

test('COPY --from a stage below is an error at that line; a real cycle is named as one', async (t) => {
  const later = await t.throwsAsync(
    planBuild('FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nRUN true\n', { target: 'a' }),
    { instanceOf: DockerfileSyntaxError },
  );
  t.regex(later?.message ?? '', /cannot copy from stage "b", it needs to be defined before current stage "a"/);
  t.is(later?.position.line, 2);
  const cycle = await t.throwsAsync(
    planBuild('FROM busybox AS a\nCOPY --from=b /x /x\nFROM a AS b\n', { target: 'b' }),
  );
  t.regex(cycle?.message ?? '', /circular dependency detected on stage: a -> b -> a|cannot copy from stage "b"/);
});

test('stages by index and numbered COPY --from; an index out of range is an error', async (t) => {
  const plan = await planBuild('FROM busybox\nRUN true\nFROM busybox\nCOPY --from=0 /x /x\n');
  t.deepEqual(levelNames(plan), [['stage-0'], ['stage-1']]);
  await t.throwsAsync(planBuild('FROM busybox\nCOPY --from=5 /x /x\n'), { message: /invalid stage index 5/ });
});

test('FROM a stage defined later is an image, as BuildKit resolves it', async (t) => {
  const plan = await planBuild('FROM later AS first\nFROM busybox AS later\n', { target: 'first' });
  t.deepEqual(plan.externalImages, ['later']);
});

test('COPY --from with a variable is rejected like BuildKit does', async (t) => {
  await t.throwsAsync(planBuild('ARG S=x\nFROM busybox AS x\nFROM busybox\nCOPY --from=$S /a /a\n'), {
    message: /variable expansion is not supported for --from/,
  });
});

test('global ARGs reach FROM lines, and stages only when redeclared; build args override', async (t) => {
  const dockerfile =
    'ARG TAG=1.0\nARG IMG=busybox\nFROM ${IMG}:${TAG}\nRUN echo "tag=$TAG"\nARG TAG\nRUN echo "tag=$TAG"\n';
  const plan = await planBuild(dockerfile);
  t.deepEqual(plan.externalImages, ['busybox:1.0']);
  // Progress names leave unset variables as written, as BuildKit's do.
  t.deepEqual(
    steps(plan, 'stage-0').filter((s) => s.startsWith('RUN')),
    ['RUN echo "tag=$TAG"', 'RUN echo "tag=1.0"'],
  );
  const overridden = await planBuild(dockerfile, { buildArgs: new Map([['TAG', '2.0']]) });
  t.deepEqual(overridden.externalImages, ['busybox:2.0']);
  t.deepEqual(
    steps(overridden, 'stage-0').filter((s) => s.startsWith('RUN')),
    ['RUN echo "tag=$TAG"', 'RUN echo "tag=2.0"'],
  );
});

test('stage ARG defaults expand in scope; ENV set after an ARG shadows it', async (t) => {
  const plan = await planBuild(
    'FROM busybox\nARG NAME=world\nENV GREETING="hello ${NAME}"\nARG V=arg\nENV V=env\nWORKDIR /home/$NAME\nRUN echo $V\n',
  );
  const stage = plan.stages[0];
  t.deepEqual(stage.final.config.config.Env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'GREETING=hello world',
    'V=env',
  ]);
  t.is(stage.final.config.config.WorkingDir, '/home/world');
  const run = stage.steps.find((s) => s.action.kind === 'run');
  t.true(run?.action.kind === 'run' && run.action.env.includes('V=env'));
});

test('predefined platform args are visible once declared; unused build args are reported', async (t) => {
  const plan = await planBuild('FROM busybox\nARG TARGETARCH\nRUN echo $TARGETARCH\n', {
    platform: 'linux/arm64',
    buildArgs: new Map([
      ['UNUSED', 'x'],
      ['HTTP_PROXY', 'http://proxy'],
    ]),
  });
  t.deepEqual(steps(plan, 'stage-0'), ['ARG TARGETARCH', 'RUN echo arm64']);
  t.deepEqual(plan.unusedBuildArgs, ['UNUSED'], 'proxy args are predefined');
});

test('ENTRYPOINT resets an inherited CMD; CMD set earlier in the stage is kept', async (t) => {
  const base: ImageConfig = { ...emptyImageConfig({ os: 'linux', architecture: 'amd64' }), config: { Cmd: ['sh'] } };
  const resolveBaseImage = async () => base;
  const reset = await planBuild('FROM base\nENTRYPOINT ["/app"]\n', { resolveBaseImage });
  t.is(reset.stages[0].final.config.config.Cmd, null);
  const kept = await planBuild('FROM base\nCMD ["--help"]\nENTRYPOINT ["/app"]\n', { resolveBaseImage });
  t.deepEqual(kept.stages[0].final.config.config.Cmd, ['--help']);
  const shell = await planBuild('FROM base\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n', { resolveBaseImage });
  t.deepEqual(shell.stages[0].final.config.config.Cmd, ['/bin/bash', '-c', 'echo hi']);
});

test('ONBUILD triggers of a base stage run first in the stage built on it', async (t) => {
  const plan = await planBuild('FROM busybox AS lib\nONBUILD RUN echo triggered\nFROM lib AS app\nRUN echo app\n');
  const app = plan.stages.find((s) => s.node.displayName === 'app');
  t.deepEqual(
    app?.steps.map((s) => [s.displayText, s.onbuild]),
    [
      ['RUN echo triggered', true],
      ['RUN echo app', false],
    ],
  );
});

test('ONBUILD triggers in a base image config run in the stage and can add dependencies', async (t) => {
  const base: ImageConfig = {
    ...emptyImageConfig({ os: 'linux', architecture: 'amd64' }),
    config: { OnBuild: ['COPY --from=assets /a /a'] },
  };
  const plan = await planBuild('FROM busybox AS assets\nRUN true\nFROM with-onbuild\nRUN echo after\n', {
    resolveBaseImage: async (ref) => (ref === 'with-onbuild' ? base : undefined),
  });
  t.deepEqual(stageNames(plan), ['assets', 'stage-1']);
});

test('expansion happens where BuildKit expands: COPY, LABEL, EXPOSE; not in RUN text', async (t) => {
  const plan = await planBuild(
    'FROM busybox\nARG DIR=app\nARG PORT=8080\nCOPY ${DIR}/ /${DIR}/\nLABEL dir=$DIR\nEXPOSE $PORT 9090/udp\nRUN echo $DIR\n',
  );
  const config = plan.stages[0].final.config.config;
  t.deepEqual(config.Labels, { dir: 'app' });
  t.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['8080/tcp', '9090/udp']);
  const copy = plan.stages[0].steps.find((s) => s.action.kind === 'copy');
  t.true(copy?.action.kind === 'copy' && copy.action.dest === '/app/' && copy.action.sources[0] === 'app/');
  const run = plan.stages[0].steps.find((s) => s.action.kind === 'run');
  t.deepEqual(run?.action.kind === 'run' ? run.action.argv : [], ['/bin/sh', '-c', 'echo $DIR']);
});

test('expansion errors point at the instruction', async (t) => {
  const error = await t.throwsAsync(planBuild('FROM busybox\nWORKDIR ${MISSING:?set MISSING}\n'), {
    instanceOf: DockerfileSyntaxError,
  });
  t.regex(error?.message ?? '', /MISSING: set MISSING/);
  t.deepEqual(error?.position, { line: 2, column: 9 });
});
