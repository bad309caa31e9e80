// Images in the daemon: existence, the config of a base image (rebuilt from inspect and history,
// or read exactly from `docker save` when history is ambiguous), tags and removal.
import type Docker from 'dockerode';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/config.js';
import { splitReference } from '../image/reference.js';
import { readEntry, readTar } from '../util/tar.js';
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

export async function tagImage(docker: Docker, id: string, reference: string): Promise<void> {
  const { repo, tag } = splitReference(reference);
  await docker.getImage(id).tag({ repo, tag });
}

const configFields: ReadonlyArray<keyof ContainerConfig> = [
  'User',
  'ExposedPorts',
  'Env',
  'Entrypoint',
  'Cmd',
  'Volumes',
  'WorkingDir',
  'Labels',
  'OnBuild',
  'StopSignal',
  'Shell',
  'Healthcheck',
  'ArgsEscaped',
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

const metadataInstruction =
  /^(\/bin\/sh -c #\(nop\) |)(ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|VOLUME|STOPSIGNAL|SHELL|HEALTHCHECK|ARG|MAINTAINER|ONBUILD)\b/;

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
export async function readImageConfig(
  docker: Docker,
  ref: string,
): Promise<{ id: string; config: ImageConfig } | undefined> {
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
  let config: ImageConfig | undefined;
  await readTar(stream, async (header, body) => {
    if (header.name !== wanted) return;
    config = JSON.parse((await readEntry(body)).toString('utf8')) as ImageConfig;
    return false;
  });
  if (!config) throw new Error(`image ${id}: config not found in docker save output`);
  return config;
}
