// What a build checks and imports before its first step: the request's own mistakes fail at once
// (the context, the cache dir, secret files, tags, a push with no name), and the caches it was given
// are brought in (local exports, the legacy `--cache-from IMAGE`, registry caches by reference).
import { readFile, rm } from 'node:fs/promises';
import { BuildError } from '../build-error.js';
import { ImageHistoryCache } from '../cache/image-history.js';
import type { StepCache } from '../cache/step-cache.js';
import type { CacheStore } from '../cache/store.js';
import { CacheImportError, importCache } from '../cache/transfer.js';
import { checkContextDirectory } from '../context/directory.js';
import { pushedNames } from '../export/push.js';
import { tagProblem } from '../image/reference.js';
import type { ResolvedOptions } from '../options.js';
import { checkSecretSources } from '../steps/secrets.js';
import type { Worker } from '../worker/worker.js';

/** The Dockerfile's text: given inline, or read from its path. */
export async function readDockerfile(options: ResolvedOptions): Promise<string> {
  if (options.dockerfileText !== undefined) return options.dockerfileText;
  try {
    return await readFile(options.dockerfilePath as string, 'utf8');
  } catch (error) {
    throw new BuildError(`cannot read Dockerfile ${options.dockerfilePath}: ${(error as Error).message}`);
  }
}

/** Fails on what is wrong with the request itself, before any work. */
export async function checkRequest(options: ResolvedOptions, store: CacheStore): Promise<void> {
  await checkContextDirectory(options.context);
  await store.prepare();
  await checkSecretSources(options.secrets);
  // --push with no name to push fails here, not after the build.
  pushedNames(options);
  for (const tag of options.tags) {
    const problem = tagProblem(tag);
    if (problem) throw new BuildError(`invalid tag ${JSON.stringify(tag)}: ${problem}`);
  }
  // As docker build does: a failed build must not leave the image ID of an earlier one.
  if (options.iidfile) await rm(options.iidfile, { force: true });
}

/**
 * Imports the local caches and hands the legacy image caches to the step cache; returns the registry
 * cache references to read (explicit ones, and bare `--cache-from REF` images the daemon lacks).
 */
export async function importCaches(context: {
  options: ResolvedOptions;
  worker: Worker;
  store: CacheStore;
  cache: StepCache;
  warn: (message: string) => void;
}): Promise<string[]> {
  const { options, worker } = context;
  for (const dir of options.cacheFrom) {
    // As buildx: a cache that is not there (a CI job's first run) warns, and the build goes on.
    const message = await importCache(worker.images, context.store, dir).then(
      (imported) =>
        `cache from ${dir}: ${imported.imported} entries imported, ${imported.alreadyPresent} already present`,
      (error: unknown) => {
        if (!(error instanceof CacheImportError)) throw error;
        return `${error.message}; building without it`;
      },
    );
    context.warn(message);
  }
  const registryRefs = [...options.registryCacheFrom];
  // Loading a hit makes an image: not for a dry run.
  if (options.cacheFromImages.length > 0 && !options.dryRun) {
    const history = await ImageHistoryCache.load({
      images: worker.images,
      refs: options.cacheFromImages,
      find: (ref) => worker.resolveImage(ref, 'never'),
      missing: (ref) => registryRefs.push(ref),
    });
    context.cache.useImageHistory(history);
  }
  return registryRefs;
}
