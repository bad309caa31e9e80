// Runs bake targets in one process over one work pool and one cache session: the steps several targets
// share (a common base stage) run once, independent targets build at the same time, and what one
// target learns of the files it read is saved once, with the others' (not overwritten by the last). A target whose
// Dockerfile builds FROM (or copies from) another target's tag waits for that target (buildx cannot:
// docker/buildx#447). `buildOptionsOf` is the one mapping from a bake target to BuildOptions.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { build, type BuildOptions, type BuildResult } from '../build.js';
import { cacheOptions, parseCacheSpec } from '../cache/cache-spec.js';
import { CacheSession } from '../cache/session.js';
import { CacheStore, defaultCacheDir } from '../cache/store.js';
import { daemonSocketsFile } from '../docker/daemon-identity.js';
import { connectDocker, type DockerClient } from '../docker/daemon.js';
import { DockerImageStore } from '../docker/image-store.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import { isMsbuildError } from '../errors.js';
import type { BuildEvent } from '../events.js';
import { parseOutputSpec, type OutputSpec } from '../export/output-spec.js';
import { normalizedTag } from '../image/reference.js';
import type { ResourceLimits } from '../options.js';
import { planFromAst } from '../plan/plan.js';
import { WorkPool } from '../solver/scheduler.js';
import { secretSource } from '../steps/secret-spec.js';
import { parseByteSize, parseExtraHost, parseResource, parseUlimit } from '../worker/run-settings.js';
import { BakeError } from './errors.js';
import type { Entry, Target } from './target.js';

export interface BakeOptions {
  /** Where relative contexts are (default: the working directory). */
  cwd?: string;
  cacheDir?: string;
  jobs?: number;
  /** Overrides every target's network (tests use `none`). */
  network?: string;
  pull?: BuildOptions['pull'];
  /** The worker of every target (`auto` by default). */
  worker?: BuildOptions['worker'];
  noCache?: boolean;
  /** Entitlements granted on the command line (`bake --allow`); a target's own are requests. */
  allow?: string[];
  /** Writes to stdout for `dest=-` outputs. */
  stdout?: NodeJS.WritableStream;
  /** Push every target's image under its tags (`bake --push`). */
  push?: boolean;
  onEvent?: (target: string, event: BuildEvent) => void;
  signal?: AbortSignal;
  docker?: DockerClient;
}

export interface BakeOutcome {
  target: string;
  result?: BuildResult;
  error?: Error;
}

function refuse(target: Target, message: string): never {
  throw new BakeError(`target ${target.name}: ${message}`);
}

/** An entry back in flag syntax (CSV: a value with a comma is quoted). */
function entryText(entry: Entry): string {
  return Object.entries(entry)
    .map(([key, value]) => {
      const field = `${key}=${value}`;
      return /[",]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
    })
    .join(',');
}

function outputsOf(
  target: Target,
  stdout: NodeJS.WritableStream | undefined,
): { outputs: OutputSpec[]; names: string[]; push: boolean } {
  const outputs: OutputSpec[] = [];
  const names: string[] = [];
  let push = false;
  for (const entry of target.output ?? []) {
    if (entry.type === 'cacheonly') continue;
    let spec: OutputSpec;
    try {
      spec = parseOutputSpec(entryText(entry));
    } catch (error) {
      return refuse(target, (error as Error).message);
    }
    if (spec.type === 'docker') {
      names.push(...(spec.names ?? []));
      push ||= spec.push === true;
    } else if (spec.type !== 'local' && spec.dest === '-') {
      if (!stdout) refuse(target, 'an output to stdout (dest=-) needs the command line');
      outputs.push({ ...spec, stream: stdout });
    } else outputs.push(spec);
  }
  return { outputs, names, push };
}

function limitsOf(target: Target): ResourceLimits {
  const limits: ResourceLimits = {};
  if (target['shm-size'] !== undefined) limits.shmSize = parseByteSize(target['shm-size']);
  if (target.ulimits?.length) limits.ulimits = target.ulimits.map(parseUlimit);
  const hosts = Object.entries(target['extra-hosts'] ?? {}).flatMap(([host, ips]) =>
    ips === null ? [] : ips.split(',').map((ip) => parseExtraHost(`${host}=${ip.trim()}`)),
  );
  if (hosts.length) limits.extraHosts = hosts;
  for (const [key, value] of Object.entries(target.resources ?? {}))
    Object.assign(limits, parseResource(key, String(value)));
  return limits;
}

const defined = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;

/**
 * A target's `contexts` as --build-context values. As buildx's bake: a local path is relative to the
 * target's context (`cwd://` to the working directory); `target:NAME` (another bake target) is refused.
 */
function namedContexts(target: Target, where: { context: string; cwd: string }): string[] {
  return Object.entries(target.contexts ?? {}).map(([name, value]) => {
    if (value.startsWith('target:'))
      refuse(target, `contexts ${name}=${value}: another bake target as a context is not supported yet`);
    if (value.startsWith('cwd://')) return `${name}=${resolve(where.cwd, value.slice('cwd://'.length))}`;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isAbsolute(value)) return `${name}=${value}`;
    return `${name}=${resolve(where.context, value)}`;
  });
}

/** The build a target stands for, or an error naming what msbuild cannot do for it. */
export function buildOptionsOf(
  target: Target,
  options: { cwd?: string; stdout?: NodeJS.WritableStream; allow?: string[]; push?: boolean } = {},
): BuildOptions {
  const cwd = options.cwd ?? process.cwd();
  const contextText = target.context ?? '.';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(contextText) || contextText.startsWith('git@'))
    refuse(target, `a remote context (${contextText}) is not supported: clone it and give the directory`);
  const context = resolve(cwd, contextText.replace(/^cwd:\/\//, ''));
  if ((target.platforms?.length ?? 0) > 1)
    refuse(
      target,
      `platforms ${target.platforms?.join(',')}: multi-platform builds are not supported; give one platform`,
    );
  if (target.call !== undefined && target.call !== 'build')
    refuse(target, `call=${target.call} is not supported: msbuild plan prints stages and args`);
  if (target.annotations?.length) refuse(target, 'annotations are not supported: the classic image store keeps none');
  if (target.policy?.length) refuse(target, 'source policies are not supported');
  const attest = target.attest?.find((entry) => !/^(true|1)$/i.test(entry.disabled ?? ''));
  if (attest)
    refuse(target, `attest type=${attest.type}: attestations are not supported (the classic image store keeps none)`);
  // As buildx bake: what a target asks for must be granted with --allow (network=host grants its own).
  const ungranted = target.entitlements?.find(
    (name) => !options.allow?.includes(name) && !(name === 'network.host' && target.network === 'host'),
  );
  if (ungranted) refuse(target, `entitlement ${ungranted} is requested but not granted: add --allow ${ungranted}`);
  const { outputs, names, push } = outputsOf(target, options.stdout);
  const cacheFrom = (target['cache-from'] ?? []).map((entry) => parseCacheSpec(entryText(entry), 'from'));
  const cacheTo = (target['cache-to'] ?? []).map((entry) => parseCacheSpec(entryText(entry), 'to'));
  if (cacheTo.length > 1) refuse(target, 'msbuild exports one cache-to per target');
  const secrets = new Map(
    (target.secret ?? []).map((entry) => [
      entry.id ?? '',
      secretSource({
        id: entry.id ?? '',
        ...(entry.src !== undefined ? { file: entry.src } : {}),
        ...(entry.env !== undefined ? { env: entry.env } : {}),
      }),
    ]),
  );
  const inline = target['dockerfile-inline'];
  const dockerfile = target.dockerfile ?? 'Dockerfile';
  const args = Object.fromEntries(
    Object.entries(target.args ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  const labels = Object.fromEntries(
    Object.entries(target.labels ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && !('SOURCE_DATE_EPOCH' in args)) args.SOURCE_DATE_EPOCH = epoch;
  return defined<BuildOptions>({
    context,
    ...(inline !== undefined
      ? { dockerfileText: inline }
      : { dockerfile: isAbsolute(dockerfile) ? dockerfile : resolve(context, dockerfile) }),
    target: target.target,
    buildArgs: args,
    labels,
    tags: [...(target.tags ?? []), ...names],
    platform: target.platforms?.[0],
    network: target.network,
    noCache: target['no-cache'],
    noCacheFilter: target['no-cache-filter'],
    pull: target.pull ? 'always' : undefined,
    ...cacheOptions(cacheFrom, cacheTo[0]),
    secrets: secrets.size > 0 ? secrets : undefined,
    allow: target.entitlements,
    ssh: target.ssh?.map((entry) =>
      entry.paths?.length ? `${entry.id}=${entry.paths.join(',')}` : (entry.id ?? 'default'),
    ),
    buildContexts: target.contexts ? namedContexts(target, { context, cwd }) : undefined,
    limits: limitsOf(target),
    outputs,
    push: push || options.push ? true : undefined,
  });
}

/** The images a build reads by reference: its stages' bases and COPY --from images. */
async function imagesRead(options: BuildOptions): Promise<string[]> {
  let text = options.dockerfileText;
  if (text === undefined) {
    try {
      text = readFileSync(options.dockerfile as string, 'utf8');
    } catch {
      return []; // The build itself reports the missing Dockerfile.
    }
  }
  try {
    const plan = await planFromAst(parseDockerfile(text, { file: options.dockerfile ?? 'Dockerfile' }), {
      target: options.target,
      buildArgs: new Map(Object.entries(options.buildArgs ?? {})),
      platform: options.platform,
    });
    return plan.stages.flatMap((stage) => [
      ...(stage.node.base.kind === 'image' ? [stage.node.base.ref] : []),
      ...stage.steps.flatMap((step) =>
        step.action.kind === 'copy' && step.action.source.kind === 'image' ? [step.action.source.ref] : [],
      ),
    ]);
  } catch {
    return [];
  }
}

/** A reference as the daemon names it: `:latest` added, Docker Hub's domain and `library/` dropped. */
function imageName(reference: string): string {
  return normalizedTag(reference)
    .replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '')
    .replace(/^library\//, '');
}

/** For each target, the targets whose tags it reads (it builds after them). */
export async function targetOrder(builds: ReadonlyMap<string, BuildOptions>): Promise<Map<string, string[]>> {
  const owners = new Map<string, string>();
  for (const [name, options] of builds) for (const tag of options.tags ?? []) owners.set(imageName(tag), name);
  const order = new Map<string, string[]>();
  for (const [name, options] of builds) {
    const reads = await imagesRead(options);
    const needs = [
      ...new Set(
        reads
          .map((ref) => owners.get(normalizedTag(ref)))
          .filter((owner): owner is string => owner !== undefined && owner !== name),
      ),
    ];
    order.set(name, needs);
  }
  const visiting = new Set<string>();
  const check = (name: string, path: string[]) => {
    if (visiting.has(name))
      throw new BakeError(`targets build FROM each other's images in a cycle: ${[...path, name].join(' -> ')}`);
    visiting.add(name);
    for (const need of order.get(name) ?? []) check(need, [...path, name]);
    visiting.delete(name);
  };
  for (const name of order.keys()) check(name, []);
  return order;
}

/** Builds the targets (in name order for their events); a failed target fails those that read its image. */
export async function runBake(
  targets: ReadonlyMap<string, Target> | readonly Target[],
  options: BakeOptions = {},
): Promise<BakeOutcome[]> {
  const list = Array.isArray(targets)
    ? (targets as readonly Target[])
    : [...(targets as ReadonlyMap<string, Target>).values()];
  // A target msbuild cannot build (an unknown cache type, say) is that target's failure, not the bake's.
  const refused = new Map<string, Error>();
  const builds = new Map<string, BuildOptions>();
  for (const target of list) {
    try {
      builds.set(target.name, buildOptionsOf(target, options));
    } catch (error) {
      if (!isMsbuildError(error)) throw error;
      refused.set(target.name, error);
    }
  }
  const order = await targetOrder(builds);
  const pool = new WorkPool(options.jobs ?? 4);
  const docker = options.docker ?? connectDocker();
  // Every target builds on this daemon: the shared store keeps to its scope of the cache dir.
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const images = new DockerImageStore(docker, join(cacheDir, daemonSocketsFile));
  const cacheSession = new CacheSession(new CacheStore(cacheDir, { daemon: () => images.identity() }));
  const running = new Map<string, Promise<BuildResult>>();
  const start = (name: string): Promise<BuildResult> => {
    let pending = running.get(name);
    if (pending) return pending;
    pending = (async () => {
      const own = builds.get(name);
      if (!own) throw refused.get(name) as Error;
      for (const need of order.get(name) ?? []) {
        await start(need).catch(() => {
          throw new BakeError(`target ${need}, whose image it builds on, failed`);
        });
      }
      return build({
        ...own,
        ...(options.network !== undefined ? { network: options.network } : {}),
        pull: options.pull ?? own.pull ?? 'missing',
        noCache: options.noCache || own.noCache,
        ...(options.worker !== undefined ? { worker: options.worker } : {}),
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        pool,
        cacheSession,
        docker,
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => options.onEvent?.(name, event),
      });
    })();
    running.set(name, pending);
    return pending;
  };
  const names = list.map((target) => target.name);
  const settled = await Promise.allSettled(names.map(start));
  await cacheSession.save();
  return settled.map((outcome, i) =>
    outcome.status === 'fulfilled'
      ? { target: names[i], result: outcome.value }
      : {
          target: names[i],
          error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)),
        },
  );
}
