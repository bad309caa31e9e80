// Runs bake targets in one process over one work pool and one cache: the steps several targets share
// (a common base stage) run once, and independent targets build at the same time.
import type Docker from 'dockerode';
import { build, type BuildOptions, type BuildResult } from '../build.js';
import { connectDocker } from '../docker/daemon.js';
import type { BuildEvent } from '../events.js';
import { parseOutputSpec } from '../export/exporters.js';
import { WorkPool } from '../schedule/scheduler.js';
import type { BakeTarget } from './config.js';

export interface BakeOptions {
  cacheDir?: string;
  jobs?: number;
  /** Overrides every target's network (tests use `none`). */
  network?: 'default' | 'none' | 'host';
  pull?: BuildOptions['pull'];
  noCache?: boolean;
  onEvent?: (target: string, event: BuildEvent) => void;
  signal?: AbortSignal;
  docker?: Docker;
}

export interface BakeOutcome {
  target: string;
  result?: BuildResult;
  error?: Error;
}

function localDir(spec: string, key: 'src' | 'dest'): string {
  if (!spec.includes('=')) return spec;
  const fields = new Map(spec.split(',').map((f) => f.split('=', 2) as [string, string]));
  return fields.get(key) ?? spec;
}

export async function runBake(targets: readonly BakeTarget[], options: BakeOptions = {}): Promise<BakeOutcome[]> {
  const pool = new WorkPool(options.jobs ?? 4);
  const docker = options.docker ?? connectDocker();
  const settled = await Promise.allSettled(
    targets.map((target) =>
      build({
        context: target.context,
        ...(target.dockerfile !== undefined ? { dockerfile: target.dockerfile.startsWith('/') ? target.dockerfile : `${target.context}/${target.dockerfile}` } : {}),
        ...(target.target !== undefined ? { target: target.target } : {}),
        buildArgs: target.args,
        labels: target.labels,
        tags: target.tags,
        noCache: options.noCache || target.noCache,
        outputs: target.outputs.map(parseOutputSpec),
        cacheFrom: target.cacheFrom.map((spec) => localDir(spec, 'src')),
        ...(target.cacheTo !== undefined ? { cacheTo: localDir(target.cacheTo, 'dest') } : {}),
        ...(target.platform !== undefined ? { platform: target.platform } : {}),
        network: options.network ?? target.network ?? 'default',
        pull: options.pull ?? target.pull ?? 'missing',
        ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
        pool,
        docker,
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event) => options.onEvent?.(target.name, event),
      }),
    ),
  );
  return settled.map((outcome, i) =>
    outcome.status === 'fulfilled'
      ? { target: targets[i].name, result: outcome.value }
      : { target: targets[i].name, error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)) },
  );
}
