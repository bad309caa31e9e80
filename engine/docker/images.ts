// Images in the daemon: existence, the config of a base image (rebuilt from inspect and history,
// or read exactly from `docker save` when history is ambiguous), tags and removal.
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/config.js';
import { statusCodeOf } from './daemon.js';

export interface ImageSummary {
  id: string;
  size: number;
  diffIds: string[];
}

export async function inspectImage(docker: Docker, ref: string): Promise<ImageSummary | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, size: info.Size, diffIds: info.RootFS?.Layers ?? [] };
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return (await inspectImage(docker, ref)) !== undefined;
}

export async function removeImage(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getImage(id).remove({ noprune: true });
  } catch (error) {
    // Already gone, or still used by a container or a tagged child: either way not ours to force.
    if (statusCodeOf(error) === 404 || statusCodeOf(error) === 409) return;
    throw error;
  }
}

/** `name:tag` → repo and tag as the tag API wants them (a registry port is not a tag). */
export function splitReference(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: 'latest' };
}

/** `name` → `name:latest`, as the daemon stores a tag given without one (a registry port is not a tag). */
export function normalizedTag(reference: string): string {
  const { repo, tag } = splitReference(reference);
  return `${repo}:${tag}`;
}

// The reference grammar of distribution/reference, which the daemon applies to tags.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = new RegExp(`^${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?$`);
const pathComponentPattern = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

/** Why `reference` cannot be a tag (`docker build -t` refuses it before building), or undefined. */
export function tagProblem(reference: string): string | undefined {
  if (reference.includes('@')) return 'a tag cannot contain a digest';
  const { repo, tag } = splitReference(reference);
  if (reference.lastIndexOf(':') > reference.lastIndexOf('/') && !tagPattern.test(tag)) return 'invalid reference format';
  if (repo.length > 255) return 'repository name must not be more than 255 characters';
  const components = repo.split('/');
  // As in the grammar: a first component with a dot, a port or `localhost` names a registry.
  const first = components[0];
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!domainPattern.test(first)) return 'invalid reference format';
    components.shift();
  }
  for (const component of components) {
    if (pathComponentPattern.test(component)) continue;
    return pathComponentPattern.test(component.toLowerCase()) ? 'repository name must be lowercase' : 'invalid reference format';
  }
  return undefined;
}

export async function tagImage(docker: Docker, id: string, reference: string): Promise<void> {
  const { repo, tag } = splitReference(reference);
  await docker.getImage(id).tag({ repo, tag });
}

const configFields: ReadonlyArray<keyof ContainerConfig> = [
  'User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'OnBuild', 'StopSignal', 'Shell',
  'Healthcheck', 'ArgsEscaped',
];

/** The image-config part of an inspect result, empty values left out. */
function containerConfigFrom(inspected: Record<string, unknown> | undefined): ContainerConfig {
  const config: Record<string, unknown> = {};
  for (const field of configFields) {
    const value = inspected?.[field];
    if (value === undefined || value === null || value === '' || value === false) continue;
    if (Array.isArray(value) && value.length === 0 && field !== 'Entrypoint' && field !== 'Cmd') continue;
    config[field] = value;
  }
  return config as ContainerConfig;
}

interface HistoryItem {
  Created: number;
  CreatedBy: string;
  Comment: string;
  Size: number;
}

const metadataInstruction = /^(\/bin\/sh -c #\(nop\) |)(ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|VOLUME|STOPSIGNAL|SHELL|HEALTHCHECK|ARG|MAINTAINER|ONBUILD)\b/;

/**
 * Which history entries carry a layer. The history API drops `empty_layer`; entries with a size have
 * a layer, and zero-size ones are settled by the instruction they record. Undefined when ambiguous.
 */
export function layeredHistory(items: readonly HistoryItem[], layerCount: number): boolean[] | undefined {
  const sized = items.map((item) => item.Size > 0);
  let missing = layerCount - sized.filter(Boolean).length;
  if (missing < 0) return undefined;
  if (missing === 0) return sized;
  const candidates = items.flatMap((item, i) => (!sized[i] && !metadataInstruction.test(item.CreatedBy) ? [i] : []));
  if (candidates.length !== missing) return undefined;
  const result = [...sized];
  for (const i of candidates) {
    result[i] = true;
    missing--;
  }
  return missing === 0 ? result : undefined;
}

/**
 * The config of an image in the daemon, for stages built FROM it. Rebuilt from inspect and history
 * (a few milliseconds); only an ambiguous history falls back to reading the exact config from `docker save`.
 */
export async function readImageConfig(docker: Docker, ref: string): Promise<{ id: string; config: ImageConfig } | undefined> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(ref).inspect();
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
  const diffIds = info.RootFS?.Layers ?? [];
  const history = ((await docker.getImage(info.Id).history()) as HistoryItem[]).slice().reverse();
  const layered = layeredHistory(history, diffIds.length);
  if (layered === undefined) return { id: info.Id, config: await savedImageConfig(docker, info.Id) };
  const entries: HistoryEntry[] = history.map((item, i) => ({
    created: new Date(item.Created * 1000).toISOString(),
    ...(item.CreatedBy ? { created_by: item.CreatedBy } : {}),
    ...(item.Comment ? { comment: item.Comment } : {}),
    ...(layered[i] ? {} : { empty_layer: true }),
  }));
  const variant = (info as { Variant?: string }).Variant;
  const config: ImageConfig = {
    architecture: info.Architecture,
    os: info.Os,
    ...(variant ? { variant } : {}),
    ...(info.Author ? { author: info.Author } : {}),
    created: info.Created,
    config: containerConfigFrom(info.Config as unknown as Record<string, unknown>),
    history: entries,
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  return { id: info.Id, config };
}

/** The exact config JSON of an image, read from the `docker save` stream (stops as soon as it is found). */
export async function savedImageConfig(docker: Docker, id: string): Promise<ImageConfig> {
  const wanted = `${id.replace(/^sha256:/, '')}.json`;
  const stream = await docker.getImage(id).get();
  const extract = tarStream.extract();
  return new Promise<ImageConfig>((resolve, reject) => {
    let found = false;
    extract.on('entry', (header, entry, next) => {
      if (header.name !== wanted) {
        entry.on('end', next);
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      entry.on('end', () => {
        found = true;
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImageConfig);
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        extract.destroy();
      });
    });
    extract.on('error', (error) => {
      if (!found) reject(error);
    });
    extract.on('finish', () => {
      if (!found) reject(new Error(`image ${id}: config not found in docker save output`));
    });
    stream.pipe(extract);
  });
}
