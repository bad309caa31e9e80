// moby's default seccomp profile (and AppArmor profile, where the daemon uses one) for RUN steps,
// taken from the daemon itself rather than copied into msbuild: dockerd writes each container's OCI
// bundle config with the profile rendered for its capabilities, and a container started with the
// defaults (the network namespace holders) has exactly BuildKit's 14 capabilities, so its
// `linux.seccomp` is what BuildKit's `seccomp.GetDefaultProfile(spec)` gives a RUN. It is read
// once per daemon version and kept in the state dir.
import { readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { OciError } from './errors.js';

/** containerd's default capabilities, which BuildKit gives every RUN. */
export const defaultCapabilities = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export interface SecurityProfile {
  /** The OCI `linux.seccomp` section; undefined when the daemon runs containers without seccomp. */
  seccomp?: Record<string, unknown>;
  /** The AppArmor profile the daemon confines containers with (`docker-default`), if any. */
  apparmorProfile?: string;
}

/** Where dockerd's containerd keeps bundles: its own (Docker 20.10) or the system's (23+). */
const bundleRoots = [
  '/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby',
  '/run/containerd/io.containerd.runtime.v2.task/moby',
];

interface BundleConfig {
  process?: { capabilities?: { bounding?: string[] }; apparmorProfile?: string };
  linux?: { seccomp?: Record<string, unknown> };
}

/**
 * The bundle dir of a running container from its process: containerd's runc shim, the process's
 * parent, works in the bundle dir. This finds it wherever the daemon's exec root is (a private
 * dockerd with `--exec-root`, a containerd of its own).
 */
async function bundleOfProcess(containerId: string, pid: number | undefined): Promise<string | undefined> {
  if (pid === undefined || pid <= 0) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const parent = /^PPid:\s*(\d+)/m.exec(status)?.[1];
  if (parent === undefined) return undefined;
  const dir = await readlink(`/proc/${parent}/cwd`).catch(() => undefined);
  return dir !== undefined && basename(dir) === containerId ? dir : undefined;
}

/** The security settings of a running container started with the defaults, from its bundle. */
export async function profileFromContainer(container: { id: string; pid?: number }): Promise<SecurityProfile> {
  const containerId = container.id;
  const fromProcess = await bundleOfProcess(containerId, container.pid);
  const dirs = [...(fromProcess ? [fromProcess] : []), ...bundleRoots.map((root) => join(root, containerId))];
  for (const dir of dirs) {
    const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const config = JSON.parse(text) as BundleConfig;
    const caps = [...(config.process?.capabilities?.bounding ?? [])].sort();
    if (JSON.stringify(caps) !== JSON.stringify([...defaultCapabilities].sort()))
      throw new OciError(
        'OCI_SECCOMP',
        `container ${containerId.slice(0, 12)} does not run with the default capabilities`,
      );
    return {
      ...(config.linux?.seccomp ? { seccomp: config.linux.seccomp } : {}),
      ...(config.process?.apparmorProfile ? { apparmorProfile: config.process.apparmorProfile } : {}),
    };
  }
  throw new OciError(
    'OCI_SECCOMP',
    `the OCI bundle of container ${containerId.slice(0, 12)} is not under ${bundleRoots.join(' or ')}: cannot read the daemon's seccomp profile`,
  );
}

function cachePath(stateDir: string, daemonVersion: string): string {
  return join(stateDir, `security-profile-${daemonVersion.replace(/[^\w.+-]/g, '_')}.json`);
}

export async function readCachedProfile(stateDir: string, daemonVersion: string): Promise<SecurityProfile | undefined> {
  const text = await readFile(cachePath(stateDir, daemonVersion), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as SecurityProfile);
}

export async function saveProfile(stateDir: string, daemonVersion: string, profile: SecurityProfile): Promise<void> {
  await writeFileAtomic(cachePath(stateDir, daemonVersion), JSON.stringify(profile));
}
