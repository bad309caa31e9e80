// ARG scoping: the predefined platform and proxy args, and the global (meta) args declared before
// the first FROM, which only FROM lines see unless a stage redeclares them (BuildKit's buildMetaArgs).
import { BuildError } from '../build-error.js';
import { MsbuildError } from '../errors.js';
import { ExpansionError } from '../expand/errors.js';
import { expandWord, type EscapeToken } from '../expand/lex.js';
import type { ArgInstruction } from '../instructions/types.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Build args that reach RUN as proxy settings without being declared, and never enter history. */
export const proxyArgNames: readonly string[] = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

export function isProxyArg(name: string): boolean {
  return proxyArgNames.includes(name);
}

const nodeArchitectures: Readonly<Record<string, { architecture: string; variant?: string }>> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
  ppc64: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

/** The platform msbuild runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const arch = nodeArchitectures[process.arch] ?? { architecture: process.arch };
  return { os: process.platform === 'win32' ? 'windows' : process.platform, ...arch };
}

/** `linux/arm/v7` → Platform; an error for malformed values. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((part) => part === '')) {
    throw new Error(`invalid platform ${JSON.stringify(text)}: expected os[/arch[/variant]]`);
  }
  const [os, architecture = hostPlatform().architecture, variant] = parts;
  const normalized =
    architecture === 'x86_64' || architecture === 'x86-64'
      ? 'amd64'
      : architecture === 'aarch64'
        ? 'arm64'
        : architecture;
  return { os, architecture: normalized, ...(variant ? { variant } : {}) };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** BuildKit's defaultArgs: BUILDPLATFORM, TARGETPLATFORM and friends, overridable by build args. */
export function platformArgs(
  build: Platform,
  target: Platform,
  targetStage: string,
  overrides: ReadonlyMap<string, string>,
): Map<string, string> {
  const defaults: Array<[string, string]> = [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDOSVERSION', ''],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETOSVERSION', ''],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage === '' ? 'default' : targetStage],
  ];
  return new Map(defaults.map(([key, value]) => [key, overrides.get(key) ?? value]));
}

/** An expansion error in a meta ARG's default, with the instruction it is in. */
export class MetaArgError extends MsbuildError {
  override readonly name = 'MetaArgError';
  override readonly code = 'MSBUILD_META_ARG';
  constructor(
    readonly instruction: ArgInstruction,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The global scope after the meta ARGs: each declared arg takes its build-arg value, else its
 * default expanded in the scope so far; args without either are declared but stay unset.
 */
export function globalArgScope(
  metaArgs: readonly ArgInstruction[],
  buildArgs: ReadonlyMap<string, string>,
  predefined: ReadonlyMap<string, string>,
  escapeToken: EscapeToken,
): Map<string, string> {
  const scope = new Map(predefined);
  for (const instruction of metaArgs) {
    for (const arg of instruction.args) {
      const override = buildArgs.get(arg.key);
      let value: string | undefined;
      if (override !== undefined) value = override;
      else if (arg.value !== undefined) {
        try {
          value = expandWord(arg.value, scope, { escapeToken }).value;
        } catch (error) {
          if (error instanceof ExpansionError) throw new MetaArgError(instruction, error.message);
          throw error;
        }
      }
      if (value !== undefined) scope.set(arg.key, value);
    }
  }
  return scope;
}

/** SOURCE_DATE_EPOCH (a build arg): history and config times, and clamped file times of layers msbuild writes. */
export function sourceDateEpoch(buildArgs: ReadonlyMap<string, string>): Date | undefined {
  const value = buildArgs.get('SOURCE_DATE_EPOCH');
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new BuildError(`invalid SOURCE_DATE_EPOCH ${JSON.stringify(value)}: expected seconds since 1970`);
  return new Date(Number(value) * 1000);
}
