// What two images are compared on: the config fields `docker build` sets and every file's type, mode,
// owner, size, content hash and link target (mtimes aside), with a readable list of differences.
import type Docker from 'dockerode';
import { imageFiles, type FileEntry } from './docker.js';

export const comparedConfigFields = [
  'Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'Shell', 'OnBuild',
] as const;

export interface ImageSnapshot {
  config: Record<string, unknown>;
  files: Map<string, FileEntry>;
}

/** Empty lists, empty maps, empty strings and null all mean "not set" to Docker. */
function normalized(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value;
  if (typeof value === 'object') return Object.keys(value as object).length === 0 ? null : value;
  return value;
}

export async function snapshotImage(docker: Docker, reference: string): Promise<ImageSnapshot> {
  const info = await docker.getImage(reference).inspect();
  const raw = info.Config as unknown as Record<string, unknown>;
  const config: Record<string, unknown> = { Architecture: info.Architecture, Os: info.Os };
  for (const field of comparedConfigFields) config[field] = normalized(raw[field]);
  return { config, files: await imageFiles(reference) };
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

/** Every difference, one line each: `Config.Env: [...] != [...]`, `/app/x: mode 0644 != 0755`. */
export function diffSnapshots(ours: ImageSnapshot, theirs: ImageSnapshot): string[] {
  const differences: string[] = [];
  for (const key of new Set([...Object.keys(ours.config), ...Object.keys(theirs.config)])) {
    if (show(ours.config[key]) !== show(theirs.config[key])) differences.push(`Config.${key}: ${show(ours.config[key])} != ${show(theirs.config[key])}`);
  }
  const paths = [...new Set([...ours.files.keys(), ...theirs.files.keys()])].sort();
  for (const path of paths) {
    const a = ours.files.get(path);
    const b = theirs.files.get(path);
    if (!a) {
      differences.push(`${path}: missing in msbuild's image`);
      continue;
    }
    if (!b) {
      differences.push(`${path}: only in msbuild's image`);
      continue;
    }
    const fields: Array<[string, string, string]> = [
      ['type', a.type, b.type],
      ['mode', a.mode.toString(8).padStart(4, '0'), b.mode.toString(8).padStart(4, '0')],
      ['owner', `${a.uid}:${a.gid}`, `${b.uid}:${b.gid}`],
      ['size', String(a.size), String(b.size)],
      ['content', a.sha256 ?? '', b.sha256 ?? ''],
      ['link', a.linkname ?? '', b.linkname ?? ''],
    ];
    for (const [name, mine, other] of fields) if (mine !== other) differences.push(`${path}: ${name} ${mine} != ${other}`);
  }
  return differences;
}
