// What registry cache tests look at: a build on the system daemon (network none) summed up from its
// events (steps run and cached, layers fetched and uploaded, the cache export's manifest digest, the
// entries a cache import read), and a cache ref read back from the registry as a reader would (its
// manifest, its index, and whether every blob it names is there).
import { build, type BuildOptions } from '../../engine/build.js';
import type { RemoteIndex } from '../../engine/cache/remote-format.js';
import type { BuildEvent } from '../../engine/events.js';
import { Registries } from '../../engine/registry/client.js';
import { parseReference } from '../../engine/registry/reference.js';

export interface BuildRun {
  imageId: string;
  /** Steps that ran (FROM left out). */
  ran: string[];
  cached: string[];
  /** Layers fetched from a registry cache. */
  fetched: number;
  /** Layers a cache export uploaded. */
  uploaded: number;
  /** The manifest digest a registry cache export put. */
  exportDigest: string | undefined;
  /** Entries each cache import read, as its event says (`N entries (mode)`). */
  imported: number[];
  events: BuildEvent[];
}

/** Sums up a build's events. */
export function summarize(events: BuildEvent[], imageId = ''): BuildRun {
  const names = new Map<string, string>();
  for (const e of events) if (e.type === 'step-start') names.set(e.step.id, e.step.name);
  const transfers = events.flatMap((e) => (e.type === 'transfer' ? [e] : []));
  return {
    imageId,
    ran: events.flatMap((e) =>
      e.type === 'step-done' && !(names.get(e.stepId) ?? '').startsWith('FROM') ? [names.get(e.stepId) ?? ''] : [],
    ),
    cached: events.flatMap((e) => (e.type === 'step-cached' ? [e.step.name] : [])),
    fetched: transfers.filter((e) => e.action === 'cache-import' && e.layer !== undefined).length,
    uploaded: transfers.filter((e) => e.action === 'cache-export' && e.layer !== undefined).length,
    exportDigest: transfers.find((e) => e.action === 'cache-export' && e.done)?.digest,
    imported: transfers.flatMap((e) =>
      e.action === 'cache-import' && e.done ? [Number(/^(\d+) entries/.exec(e.status)?.[1] ?? NaN)] : [],
    ),
    events,
  };
}

/** A build on the system daemon with RUN steps off the network; `onEvent` sees each event as it comes. */
export async function runBuild(
  options: Omit<BuildOptions, 'onEvent'>,
  onEvent: (event: BuildEvent) => void = () => undefined,
): Promise<BuildRun> {
  const events: BuildEvent[] = [];
  const result = await build({
    network: 'none',
    ...options,
    onEvent: (e) => {
      events.push(e);
      onEvent(e);
    },
  });
  return summarize(events, result.imageId);
}

export interface StoredCache {
  /** The manifest's digest. */
  digest: string;
  index: RemoteIndex;
  /** Blobs the manifest names (index and layers) that the registry does not have. */
  missingBlobs: string[];
}

/** Reads a registry cache by tag or digest (`reference`, else the ref's tag) as a reader would. */
export async function readStoredCache(ref: string, reference?: string): Promise<StoredCache> {
  const registries = new Registries({ configDir: '/nonexistent' });
  try {
    const parsed = parseReference(ref);
    const repository = registries.repository(parsed);
    const manifest = await repository.manifest(reference ?? parsed.tag ?? 'latest');
    if (!manifest) throw new Error(`no cache at ${ref}`);
    const body = JSON.parse(manifest.bytes.toString('utf8')) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    const index = JSON.parse((await repository.blobBytes(body.config.digest)).toString('utf8')) as RemoteIndex;
    const missingBlobs: string[] = [];
    for (const blob of [body.config, ...body.layers])
      if (!(await repository.hasBlob(blob.digest))) missingBlobs.push(blob.digest);
    return { digest: manifest.digest, index, missingBlobs };
  } finally {
    registries.close();
  }
}

/** The keys of an index's entries, sorted. */
export function entryKeys(index: RemoteIndex): string[] {
  return index.entries.map((entry) => entry.key).sort();
}
