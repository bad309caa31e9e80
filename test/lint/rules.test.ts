// Unit: build checks. Every rule of current BuildKit's linter (ruleset.go) has a Dockerfile that
// triggers it — with BuildKit's message at BuildKit's line — and a close one that does not; the rule
// list is BuildKit's; `# check=` skip/error/experimental, a `# check=` comment above one instruction
// and BUILDKIT_DOCKERFILE_CHECK behave as in BuildKit.
import test from 'ava';
import { ignoreRules } from '../../engine/context/ignore.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { emptyImageConfig } from '../../engine/image/config.js';
import { checkPlan } from '../../engine/lint/check.js';
import { rules } from '../../engine/lint/rules.js';
import { formatPlatform, hostPlatform } from '../../engine/plan/args.js';
import { planBuild, type PlanOptions } from '../../engine/plan/plan.js';

interface RuleCase {
  /** Triggers the rule: [line, message] for each warning of this rule. */
  positive: string;
  expected: Array<[number, string]>;
  /** A close Dockerfile that does not. */
  negative: string;
  options?: PlanOptions;
  ignore?: string[];
}

const host = hostPlatform();
const otherArch = host.architecture === 'arm64' ? 'amd64' : 'arm64';
/** A resolver whose every image is a Debian-like image for `architecture`, with HOME and GOPATH set. */
const images = (architecture = host.architecture): PlanOptions => ({
  resolveBaseImage: async () => {
    const config = emptyImageConfig({ os: 'linux', architecture });
    config.config.Env = ['PATH=/usr/bin:/bin', 'GOPATH=/go'];
    return config;
  },
});

const cases: Record<keyof typeof rules, RuleCase> = {
  StageNameCasing: {
    positive: 'FROM scratch AS BadName\nCOPY a b\n',
    expected: [[1, "Stage name 'BadName' should be lowercase"]],
    negative: 'FROM scratch AS good-name\nCOPY a b\n',
  },
  FromAsCasing: {
    positive: 'from scratch AS base\nfrom scratch as other\n',
    expected: [[1, "'AS' and 'from' keywords' casing do not match"]],
    negative: 'from scratch as base\nFROM scratch AS other\n',
  },
  NoEmptyContinuation: {
    positive: 'FROM scratch\nCOPY a \\\n\nb\n',
    expected: [[4, 'Empty continuation line']],
    negative: 'FROM scratch\nCOPY a \\\n# a comment is no empty line\nb\n',
  },
  ConsistentInstructionCasing: {
    positive: 'FROM scratch\ncopy a /a\nCOPY b /b\n',
    expected: [[2, "Command 'copy' should match the case of the command majority (uppercase)"]],
    negative: 'from scratch\ncopy a /a\ncopy b /b\n',
  },
  DuplicateStageName: {
    positive: 'FROM scratch AS b\nFROM scratch AS b\n',
    expected: [[2, 'Duplicate stage name "b", stage names should be unique']],
    negative: 'FROM scratch AS a\nFROM scratch AS b\n',
  },
  ReservedStageName: {
    positive: 'FROM scratch AS scratch\nFROM scratch AS context\n',
    expected: [
      [1, 'Stage name should not use the same name as reserved stage "scratch"'],
      [2, 'Stage name should not use the same name as reserved stage "context"'],
    ],
    negative: 'FROM scratch AS contexts\n',
  },
  JSONArgsRecommended: {
    positive: 'FROM scratch\nCMD serve\nENTRYPOINT run\n',
    expected: [
      [2, 'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals'],
      [3, 'JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals'],
    ],
    negative: 'FROM scratch AS base\nSHELL ["/bin/custom"]\nFROM base\nCMD serve\nENTRYPOINT ["run"]\n',
  },
  MaintainerDeprecated: {
    positive: 'FROM scratch\nMAINTAINER me@example.org\n',
    expected: [[2, 'Maintainer instruction is deprecated in favor of using label']],
    negative: 'FROM scratch\nLABEL org.opencontainers.image.authors="me@example.org"\n',
  },
  UndefinedArgInFrom: {
    positive: 'ARG MY_ARCH=amd64\nFROM busybox:${MYARCH:-latest}\n',
    expected: [[2, "FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)"]],
    negative: 'ARG DEBUG\nFROM scra${DEBUG:-tch}\nFROM --platform=$BUILDPLATFORM scratch\n',
  },
  WorkdirRelativePath: {
    positive: 'FROM scratch\nWORKDIR app/\n',
    expected: [[2, 'Relative workdir "app/" can have unexpected results if the base image changes']],
    negative: 'FROM scratch AS a\nWORKDIR /app\nFROM a\nWORKDIR sub/\n',
  },
  UndefinedVar: {
    positive:
      'FROM busybox\nARG DIR_ASSETS=assets/\nCOPY $DIR_ASSET .\nENV PATH=$PAHT:/tmp/bin\nCOPY $later .\nARG later\n',
    expected: [
      [3, "Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)"],
      [4, "Usage of undefined variable '$PAHT' (did you mean $PATH?)"],
      [5, "Usage of undefined variable '$later'"],
    ],
    // Declared without a value, from the base image's environment, in a RUN (the shell's business).
    negative:
      'FROM busybox AS base\nARG foo\nCOPY f${foo} .\nENV P=$GOPATH/bin\nFROM base\nCOPY $foo .\nRUN echo $nothing\n',
    options: images(),
  },
  MultipleInstructionsDisallowed: {
    positive:
      'FROM scratch\nENTRYPOINT ["/a"]\nCMD ["/a"]\nHEALTHCHECK CMD ["/a"]\nENTRYPOINT ["/b"]\nCMD ["/b"]\nHEALTHCHECK CMD ["/b"]\n',
    expected: [
      [
        2,
        'Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used',
      ],
      [3, 'Multiple CMD instructions should not be used in the same stage because only the last one will be used'],
      [
        4,
        'Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used',
      ],
    ],
    negative: 'FROM scratch AS a\nENTRYPOINT ["/a"]\nCMD ["/a"]\nFROM a\nENTRYPOINT ["/b"]\nCMD ["/b"]\n',
  },
  LegacyKeyValueFormat: {
    positive: 'FROM scratch\nENV key value\nLABEL key value\n',
    expected: [
      [2, '"ENV key=value" should be used instead of legacy "ENV key value" format'],
      [3, '"LABEL key=value" should be used instead of legacy "LABEL key value" format'],
    ],
    negative: 'FROM scratch\nENV key=value\nLABEL key="value with spaces"\n',
  },
  InvalidBaseImagePlatform: {
    positive: 'FROM busybox\nRUN true\n',
    expected: [
      [
        1,
        `Base image busybox was pulled with platform "linux/${otherArch}", expected "${formatPlatform(host)}" for current build`,
      ],
    ],
    negative: 'FROM busybox\nRUN true\n',
    options: images(otherArch),
  },
  RedundantTargetPlatform: {
    positive: 'FROM --platform=${TARGETPLATFORM} scratch\n',
    expected: [
      [1, 'Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior'],
    ],
    negative: 'FROM --platform=$BUILDPLATFORM scratch\n',
  },
  SecretsUsedInArgOrEnv: {
    positive: 'FROM scratch\nARG SECRET_PASSPHRASE\nENV password=bar git_key=\n',
    expected: [
      [2, 'Do not use ARG or ENV instructions for sensitive data (ARG "SECRET_PASSPHRASE")'],
      [3, 'Do not use ARG or ENV instructions for sensitive data (ENV "password")'],
      [3, 'Do not use ARG or ENV instructions for sensitive data (ENV "git_key")'],
    ],
    negative: 'FROM scratch\nARG SECRET_PASSPHRASE_FILE\nENV PUBLIC_KEY= sunflower=foo AUTH_MODULE_VERSION=1\n',
  },
  InvalidDefaultArgInFrom: {
    positive: 'ARG VERSION\nFROM busybox:$VERSION\n',
    expected: [[2, 'Default value for ARG busybox:$VERSION results in empty or invalid base image name']],
    negative: 'ARG VARIANT\nFROM busybox:stable${VARIANT}\n',
    options: { buildArgs: new Map([['VERSION', 'latest']]) },
  },
  FromPlatformFlagConstDisallowed: {
    positive: `FROM --platform=${formatPlatform(host)} scratch\n`,
    expected: [[1, `FROM --platform flag should not use constant value "${formatPlatform(host)}"`]],
    negative: `FROM --platform=${formatPlatform(host)} scratch AS build_${host.architecture}\n`,
  },
  CopyIgnoredFile: {
    positive: 'FROM scratch\nCOPY ./Dockerfile .\nADD Dockerfile /windy\n',
    expected: [
      [2, 'Attempting to Copy file "Dockerfile" that is excluded by .dockerignore'],
      [3, 'Attempting to Add file "Dockerfile" that is excluded by .dockerignore'],
    ],
    negative: 'FROM scratch\nCOPY . .\nCOPY other /other\n',
    ignore: ['Dockerfile'],
  },
  InvalidDefinitionDescription: {
    positive:
      '# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n# BasE the base\nFROM scratch AS base\n',
    expected: [
      [3, 'Comment for ARG should follow the format: `# foo <description>`'],
      [5, 'Comment for FROM should follow the format: `# base <description>`'],
    ],
    negative:
      '# check=experimental=InvalidDefinitionDescription\n# foo this is the foo\nARG foo=bar\n\n# base the base\nFROM scratch AS base\n',
  },
  ExposeProtoCasing: {
    positive: 'FROM scratch\nEXPOSE 80/TcP 8080/udp\n',
    expected: [[2, "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"]],
    negative: 'FROM scratch\nEXPOSE 80/tcp 8080\n',
  },
  ExposeInvalidFormat: {
    positive: 'FROM scratch\nEXPOSE 127.0.0.1:80:80 5000:5000 8000\n',
    expected: [
      [2, "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"],
      [2, "EXPOSE instruction should not define an IP address or host-port mapping, found '5000:5000'"],
    ],
    negative: 'FROM scratch\nEXPOSE 8000 9000-9002/udp\n',
  },
};

async function check(source: string, options: PlanOptions = {}, ignore?: string[]) {
  const plan = await planBuild(source, { allStages: true, ...options });
  return checkPlan(plan, ignore ? { ignore: ignoreRules(ignore) } : {});
}

/** The rules of BuildKit's ruleset.go at 73ed6825, in its order. */
const buildkitRules = [
  'StageNameCasing',
  'FromAsCasing',
  'NoEmptyContinuation',
  'ConsistentInstructionCasing',
  'DuplicateStageName',
  'ReservedStageName',
  'JSONArgsRecommended',
  'MaintainerDeprecated',
  'UndefinedArgInFrom',
  'WorkdirRelativePath',
  'UndefinedVar',
  'MultipleInstructionsDisallowed',
  'LegacyKeyValueFormat',
  'InvalidBaseImagePlatform',
  'RedundantTargetPlatform',
  'SecretsUsedInArgOrEnv',
  'InvalidDefaultArgInFrom',
  'FromPlatformFlagConstDisallowed',
  'CopyIgnoredFile',
  'InvalidDefinitionDescription',
  'ExposeProtoCasing',
  'ExposeInvalidFormat',
];

test("the rules are BuildKit's, and each has a case here", (t) => {
  t.deepEqual(Object.keys(rules), buildkitRules);
  t.deepEqual(Object.keys(cases), buildkitRules);
});

for (const [name, spec] of Object.entries(cases)) {
  test(`${name}: triggered, with BuildKit's message and line`, async (t) => {
    const report = await check(spec.positive, spec.options, spec.ignore);
    const found = report.warnings
      .filter((w) => w.rule === name)
      .map((w): [number, string] => [w.range.start.line, w.message]);
    t.deepEqual(found, spec.expected);
    const rule = rules[name as keyof typeof rules];
    for (const warning of report.warnings.filter((w) => w.rule === name)) {
      t.is(warning.description, rule.description);
      t.is(warning.url, rule.url);
    }
  });
  test(`${name}: not triggered by the close case`, async (t) => {
    const options = name === 'InvalidBaseImagePlatform' ? images() : spec.options;
    const report = await check(spec.negative, options, spec.ignore);
    t.deepEqual(
      report.warnings.filter((w) => w.rule === name).map((w) => w.message),
      [],
    );
  });
}

test('# check=skip=… skips rules, skip=all every non-experimental one', async (t) => {
  const source = 'FROM scratch as base\ncopy a .\n';
  const rulesOf = async (directive: string) => (await check(`${directive}\n${source}`)).warnings.map((w) => w.rule);
  t.deepEqual(await rulesOf('# check=skip=ConsistentInstructionCasing'), ['FromAsCasing']);
  t.deepEqual(await rulesOf('# check=skip=ConsistentInstructionCasing,FromAsCasing'), []);
  t.deepEqual(await rulesOf('#check=skip=all'), []);
  t.deepEqual(await rulesOf('# nothing'), ['FromAsCasing', 'ConsistentInstructionCasing']);
});

test('# check=error=true makes a warning the build error BuildKit gives, at the first warning', async (t) => {
  const report = await check('# check=skip=ConsistentInstructionCasing;error=true\nFROM scratch as base\ncopy a .\n');
  t.true(report.violation instanceof DockerfileSyntaxError);
  t.is(report.violation?.message, 'lint violation found for rules: FromAsCasing');
  t.is(report.violation?.position.line, 2);
  t.is((await check('# check=skip=all;error=true\nFROM scratch as base\n')).violation, undefined);
});

test('BUILDKIT_DOCKERFILE_CHECK replaces the file directive', async (t) => {
  const source = '# check=skip=all\nFROM scratch as base\ncopy a .\n';
  const report = await check(source, {
    buildArgs: new Map([['BUILDKIT_DOCKERFILE_CHECK', 'skip=ConsistentInstructionCasing;error=true']]),
  });
  t.deepEqual(
    report.warnings.map((w) => w.rule),
    ['FromAsCasing'],
  );
  t.is(report.violation?.message, 'lint violation found for rules: FromAsCasing');
  const plan = await planBuild(source, { buildArgs: new Map([['BUILDKIT_DOCKERFILE_CHECK', 'skip=all']]) });
  t.deepEqual(plan.unusedBuildArgs, []);
});

test('a # check= comment right above an instruction skips for that instruction only', async (t) => {
  const report = await check(
    'FROM scratch\n# check=skip=SecretsUsedInArgOrEnv // allow it here\nENV password=bar\nENV secret=baz\n# check=skip=all\nMAINTAINER me\n',
  );
  t.deepEqual(
    report.warnings.map((w) => [w.rule, w.range.start.line]),
    [['SecretsUsedInArgOrEnv', 4]],
  );
});

test('an experimental rule runs only when asked for, even under skip=all', async (t) => {
  const source = '# bar not foo\nARG foo=bar\nFROM scratch\n';
  t.deepEqual((await check(source)).warnings, []);
  const asked = await check(`# check=skip=all;experimental=InvalidDefinitionDescription\n${source}`);
  t.deepEqual(
    asked.warnings.map((w) => w.rule),
    ['InvalidDefinitionDescription'],
  );
});

test('a malformed # check= is refused as BuildKit refuses it, at the directive', async (t) => {
  await t.throwsAsync(check('# check=skip\nFROM scratch\n'), {
    instanceOf: DockerfileSyntaxError,
    message: 'failed to parse check options: invalid check option "skip"',
  });
  await t.throwsAsync(check('# check=error=maybe\nFROM scratch\n'), {
    message: /^failed to parse check options: failed to parse check option "error=maybe"/,
  });
});

test('a build sees only the stages it needs; --check without a target sees them all', async (t) => {
  const source = 'FROM scratch AS first\nCOPY $foo .\nFROM scratch AS second\nCOPY $bar .\n';
  const built = checkPlan(await planBuild(source));
  t.deepEqual(
    built.warnings.map((w) => w.message),
    ["Usage of undefined variable '$bar'"],
  );
  t.deepEqual(
    (await check(source)).warnings.map((w) => w.message),
    ["Usage of undefined variable '$foo'", "Usage of undefined variable '$bar'"],
  );
});

test('undefined variables are not judged on top of an image whose environment is unknown', async (t) => {
  const report = await check('FROM golang\nENV P=$GOPATH/bin\n');
  t.deepEqual(report.warnings, []);
});
