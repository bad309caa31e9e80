// What a build asks of the daemon that only the daemon can say it has: the named network RUN steps
// join (`--network NAME`), and the platform (`--platform`). Checked before any step runs, so a
// typo'd network or a foreign platform is one clear error, not a failed RUN or an image labelled
// with a platform it is not.
import type Docker from 'dockerode';
import { BuildError } from '../build-error.js';
import { formatPlatform, hostPlatform, parsePlatform } from '../plan/args.js';
import { statusCodeOf } from './daemon.js';

/** Network modes Docker itself knows; anything else (but `container:ID`) is a network's name. */
const builtinNetworks = new Set(['default', 'none', 'host', 'bridge']);

export async function checkNetwork(docker: Docker, network: string | undefined): Promise<void> {
  if (network === undefined || builtinNetworks.has(network) || network.startsWith('container:')) return;
  try {
    await docker.getNetwork(network).inspect();
  } catch (error) {
    if (statusCodeOf(error) !== 404) throw error;
    throw new BuildError(
      `network ${JSON.stringify(network)} not found: create it (docker network create ${network}) or use default, none or host`,
    );
  }
}

/** os/arch: the daemon does not say which variant (arm/v7, amd64/v2) it runs; the architecture decides. */
const osArch = (platform: string) => platform.split('/').slice(0, 2).join('/');

/** The daemon's platform as OCI names it (`linux/amd64`). */
export async function daemonPlatform(docker: Docker): Promise<string> {
  const version = await docker.version();
  return formatPlatform(parsePlatform(`${version.Os}/${version.Arch}`));
}

/**
 * `--platform`, normalized (`local` is this machine's), when it is the daemon's own; msbuild runs
 * steps in the daemon's containers and labels nothing with a platform it did not build for.
 */
export async function checkPlatform(docker: Docker, requested: string | undefined): Promise<void> {
  if (requested === undefined || requested === '') return;
  if (requested.includes(','))
    throw new BuildError(
      `--platform ${requested}: multi-platform builds are not supported; build one platform at a time with the daemon's own`,
    );
  let wanted: string;
  try {
    wanted = requested === 'local' ? formatPlatform(hostPlatform()) : formatPlatform(parsePlatform(requested));
  } catch (error) {
    throw new BuildError((error as Error).message);
  }
  const own = await daemonPlatform(docker);
  if (osArch(wanted) !== osArch(own))
    throw new BuildError(
      `--platform ${requested}: the daemon runs ${own}, and msbuild builds only for the daemon's own platform (no emulation)`,
    );
}
