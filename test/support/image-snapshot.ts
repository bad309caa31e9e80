// What two images are compared on: the config fields `docker build` sets, the history (what each entry
// says it did), and every file's type, mode, owner, size, content hash, link target and device
// numbers (mtimes aside), with a readable list of differences.
import type Docker from 'dockerode';
import { imageFiles, type FileEntry } from './image-files.js';

export const comparedConfigFields = [
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'User',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
  'OnBuild',
] as const;

export interface ImageSnapshot {
  config: Record<string, unknown>;
  /** `created_by` of each history entry, oldest first. */
  history: string[];
  files: Map<string, FileEntry>;
}

/**
 * History text in current BuildKit's words. Engine 20.10's frontend (the oracle here) prints EXPOSE as
 * a Go map and HEALTHCHECK as a struct pointer, and leaves COPY/ADD's --chown/--chmod out; current
 * BuildKit, which msbuild follows, prints a port list, the struct's fields, and keeps the flags.
 */
export function currentHistoryText(createdBy: string): string {
  const ports = /^EXPOSE map\[(.*)\]$/.exec(createdBy);
  if (ports)
    return `EXPOSE [${ports[1]
      .split(' ')
      .map((port) => port.replace(/:\{\}$/, ''))
      .join(' ')}]`;
  const health = /^HEALTHCHECK &\{\[(.*)\] "(.*)" "(.*)" "(.*)" '(.*)'\}$/.exec(createdBy);
  if (health) {
    const [, test, interval, timeout, startPeriod, retries] = health;
    const words = [...test.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
    const count = retries.startsWith('\\x') ? parseInt(retries.slice(2), 16) : retries.charCodeAt(0);
    return `HEALTHCHECK {Test:[${words.join(' ')}] Interval:${interval} Timeout:${timeout} StartPeriod:${startPeriod} StartInterval:0s Retries:${count}}`;
  }
  return createdBy;
}

/** COPY/ADD history without --chown/--chmod, for comparing with a frontend that leaves them out. */
function withoutCopyFlags(createdBy: string): string {
  return /^(COPY|ADD) /.test(createdBy) ? createdBy.replace(/ --ch(own|mod)=\S+/g, '') : createdBy;
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
  // The API lists the newest entry first. (Its sizes are the daemon's estimate, not the layer flag.)
  const history = ((await docker.getImage(reference).history()) as Array<{ CreatedBy: string }>)
    .reverse()
    .map((entry) => entry.CreatedBy);
  return { config, history, files: await imageFiles(reference, docker) };
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

/** Every difference, one line each: `Config.Env: [...] != [...]`, `/app/x: mode 0644 != 0755`. */
export function diffSnapshots(
  ours: ImageSnapshot,
  theirs: ImageSnapshot,
  options: { history?: boolean } = {},
): string[] {
  const differences: string[] = [];
  for (const key of new Set([...Object.keys(ours.config), ...Object.keys(theirs.config)])) {
    if (show(ours.config[key]) !== show(theirs.config[key]))
      differences.push(`Config.${key}: ${show(ours.config[key])} != ${show(theirs.config[key])}`);
  }
  // A base image's own entries are inherited as written: one made by Engine 20.10's frontend (the
  // fixture stand-ins) is in its words on both sides, and msbuild never writes those words itself.
  const ourHistory = ours.history.map((entry) => currentHistoryText(withoutCopyFlags(entry)));
  const theirHistory = theirs.history.map(currentHistoryText);
  for (let i = 0; options.history !== false && i < Math.max(ourHistory.length, theirHistory.length); i++) {
    if (ourHistory[i] !== theirHistory[i])
      differences.push(`history[${i}]: ${show(ourHistory[i] ?? null)} != ${show(theirHistory[i] ?? null)}`);
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
      ['device', a.device ?? '', b.device ?? ''],
    ];
    for (const [name, mine, other] of fields)
      if (mine !== other) differences.push(`${path}: ${name} ${mine} != ${other}`);
  }
  return differences;
}
