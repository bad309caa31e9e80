// A state's files through a container that never runs: created from the state's layers to read
// them (stat, small files) or write a layer into them (an archive put, then a commit).
import type Docker from 'dockerode';
import { buffer } from 'node:stream/consumers';
import type { TargetView } from '../copy/apply.js';
import { BuildContainer, buildLabels, isDirectoryStat, isSymlinkStat, type ContainerRegistry } from './container.js';

/** A container (never started) from `image`, for reading or writing its files. */
export async function scratchContainer(
  context: { docker: Docker; registry: ContainerRegistry; buildId: string },
  image: string,
): Promise<BuildContainer> {
  return BuildContainer.create(
    context.docker,
    {
      Image: image,
      Cmd: ['/msbuild-never-runs'],
      Entrypoint: [],
      Labels: buildLabels(context.buildId),
      NetworkDisabled: true,
    },
    context.registry,
  );
}

/** A view of the image through a container that never runs. */
export function containerView(container: BuildContainer): TargetView {
  const kind = async (path: string, hops = 0): Promise<'directory' | 'file' | undefined> => {
    const stat = await container.stat(path);
    if (!stat) return undefined;
    if (isSymlinkStat(stat) && stat.linkTarget !== '' && hops < 40) return kind(stat.linkTarget, hops + 1);
    return isDirectoryStat(stat) ? 'directory' : 'file';
  };
  return {
    kind,
    realPath: (path) => path,
    readsFiles: true,
    readFile: async (path) => {
      if ((await kind(path)) !== 'file') return undefined;
      const archive = await container.getArchive(path);
      return firstFileOf(await buffer(archive));
    },
  };
}

/** The body of the single file in a `GET /archive` tar: header (512 bytes, size in octal at 124), then the body. */
function firstFileOf(tar: Buffer): string {
  const size = parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8) || 0;
  return tar.subarray(512, 512 + size).toString('utf8');
}
