// The build-check rules of current BuildKit (frontend/dockerfile/linter/ruleset.go): names, descriptions,
// URLs and messages worded exactly as BuildKit words them.

import { goQuote } from '../go/quote.js';

export interface LintRule {
  name: string;
  description: string;
  /** Documentation page ('' for rules without one). */
  url: string;
  /** Runs only when asked for (`# check=experimental=NAME`). */
  experimental?: boolean;
}

const docs = (slug: string) => `https://docs.docker.com/go/dockerfile/rule/${slug}/`;
const quoted = goQuote;

export const rules = {
  StageNameCasing: {
    name: 'StageNameCasing',
    description: 'Stage names should be lowercase',
    url: docs('stage-name-casing'),
  },
  FromAsCasing: {
    name: 'FromAsCasing',
    description: "The 'as' keyword should match the case of the 'from' keyword",
    url: docs('from-as-casing'),
  },
  NoEmptyContinuation: {
    name: 'NoEmptyContinuation',
    description: 'Empty continuation lines will become errors in a future release',
    url: docs('no-empty-continuation'),
  },
  ConsistentInstructionCasing: {
    name: 'ConsistentInstructionCasing',
    description: 'All commands within the Dockerfile should use the same casing (either upper or lower)',
    url: docs('consistent-instruction-casing'),
  },
  DuplicateStageName: {
    name: 'DuplicateStageName',
    description: 'Stage names should be unique',
    url: docs('duplicate-stage-name'),
  },
  ReservedStageName: {
    name: 'ReservedStageName',
    description: 'Reserved words should not be used as stage names',
    url: docs('reserved-stage-name'),
  },
  JSONArgsRecommended: {
    name: 'JSONArgsRecommended',
    description: 'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
    url: docs('json-args-recommended'),
  },
  MaintainerDeprecated: {
    name: 'MaintainerDeprecated',
    description: 'The MAINTAINER instruction is deprecated, use a label instead to define an image author',
    url: docs('maintainer-deprecated'),
  },
  UndefinedArgInFrom: {
    name: 'UndefinedArgInFrom',
    description: 'FROM command must use declared ARGs',
    url: docs('undefined-arg-in-from'),
  },
  WorkdirRelativePath: {
    name: 'WorkdirRelativePath',
    description:
      'Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes',
    url: docs('workdir-relative-path'),
  },
  UndefinedVar: {
    name: 'UndefinedVar',
    description: 'Variables should be defined before their use',
    url: docs('undefined-var'),
  },
  MultipleInstructionsDisallowed: {
    name: 'MultipleInstructionsDisallowed',
    description: 'Multiple instructions of the same type should not be used in the same stage',
    url: docs('multiple-instructions-disallowed'),
  },
  LegacyKeyValueFormat: {
    name: 'LegacyKeyValueFormat',
    description: 'Legacy key/value format with whitespace separator should not be used',
    url: docs('legacy-key-value-format'),
  },
  InvalidBaseImagePlatform: {
    name: 'InvalidBaseImagePlatform',
    description: 'Base image platform does not match expected target platform',
    url: '',
  },
  RedundantTargetPlatform: {
    name: 'RedundantTargetPlatform',
    description: 'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior',
    url: docs('redundant-target-platform'),
  },
  SecretsUsedInArgOrEnv: {
    name: 'SecretsUsedInArgOrEnv',
    description: 'Sensitive data should not be used in the ARG or ENV commands',
    url: docs('secrets-used-in-arg-or-env'),
  },
  InvalidDefaultArgInFrom: {
    name: 'InvalidDefaultArgInFrom',
    description: 'Default value for global ARG results in an empty or invalid base image name',
    url: docs('invalid-default-arg-in-from'),
  },
  FromPlatformFlagConstDisallowed: {
    name: 'FromPlatformFlagConstDisallowed',
    description: 'FROM --platform flag should not use a constant value',
    url: docs('from-platform-flag-const-disallowed'),
  },
  CopyIgnoredFile: {
    name: 'CopyIgnoredFile',
    description: 'Attempting to Copy file that is excluded by .dockerignore',
    url: docs('copy-ignored-file'),
  },
  InvalidDefinitionDescription: {
    name: 'InvalidDefinitionDescription',
    description:
      'Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.',
    url: docs('invalid-definition-description'),
    experimental: true,
  },
  ExposeProtoCasing: {
    name: 'ExposeProtoCasing',
    description: 'Protocol in EXPOSE instruction should be lowercase',
    url: docs('expose-proto-casing'),
  },
  ExposeInvalidFormat: {
    name: 'ExposeInvalidFormat',
    description:
      'IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release',
    url: docs('expose-invalid-format'),
  },
} as const satisfies Record<string, LintRule>;

export type RuleName = keyof typeof rules;

/** The messages, as BuildKit's Format functions word them. */
export const messages = {
  StageNameCasing: (stage: string) => `Stage name '${stage}' should be lowercase`,
  FromAsCasing: (from: string, as: string) => `'${as}' and '${from}' keywords' casing do not match`,
  NoEmptyContinuation: () => 'Empty continuation line',
  ConsistentInstructionCasing: (command: string, casing: string) =>
    `Command '${command}' should match the case of the command majority (${casing})`,
  DuplicateStageName: (stage: string) => `Duplicate stage name ${quoted(stage)}, stage names should be unique`,
  ReservedStageName: (stage: string) => `Stage name should not use the same name as reserved stage ${quoted(stage)}`,
  JSONArgsRecommended: (instruction: string) =>
    `JSON arguments recommended for ${instruction} to prevent unintended behavior related to OS signals`,
  MaintainerDeprecated: () => 'Maintainer instruction is deprecated in favor of using label',
  UndefinedArgInFrom: (arg: string, suggestion?: string) =>
    `FROM argument '${arg}' is not declared${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
  WorkdirRelativePath: (workdir: string) =>
    `Relative workdir ${quoted(workdir)} can have unexpected results if the base image changes`,
  UndefinedVar: (name: string, suggestion?: string) =>
    `Usage of undefined variable '$${name}'${suggestion ? ` (did you mean $${suggestion}?)` : ''}`,
  MultipleInstructionsDisallowed: (instruction: string) =>
    `Multiple ${instruction} instructions should not be used in the same stage because only the last one will be used`,
  LegacyKeyValueFormat: (command: string) =>
    `"${command} key=value" should be used instead of legacy "${command} key value" format`,
  InvalidBaseImagePlatform: (image: string, expected: string, actual: string) =>
    `Base image ${image} was pulled with platform ${quoted(actual)}, expected ${quoted(expected)} for current build`,
  RedundantTargetPlatform: (platform: string) =>
    `Setting platform to predefined ${platform} in FROM is redundant as this is the default behavior`,
  SecretsUsedInArgOrEnv: (instruction: string, key: string) =>
    `Do not use ARG or ENV instructions for sensitive data (${instruction} ${quoted(key)})`,
  InvalidDefaultArgInFrom: (baseName: string) =>
    `Default value for ARG ${baseName} results in empty or invalid base image name`,
  FromPlatformFlagConstDisallowed: (platform: string) =>
    `FROM --platform flag should not use constant value ${quoted(platform)}`,
  CopyIgnoredFile: (command: string, file: string) =>
    `Attempting to ${command} file ${quoted(file)} that is excluded by .dockerignore`,
  InvalidDefinitionDescription: (instruction: string, name: string) =>
    `Comment for ${instruction} should follow the format: \`# ${name} <description>\``,
  ExposeProtoCasing: (port: string) => `Defined protocol '${port}' in EXPOSE instruction should be lowercase`,
  ExposeInvalidFormat: (port: string) =>
    `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`,
} satisfies Record<RuleName, (...args: never[]) => string>;
