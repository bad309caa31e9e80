// Cache-miss explanations: compares what a step reads now with what it read when it last ran
// (same Dockerfile, stage and position) and names what changed — a file, an arg, the base image, the text.
import type { StepInputsRecord } from './store.js';

function envChanges(before: readonly string[], after: readonly string[]): string[] {
  const asMap = (list: readonly string[]) =>
    new Map(list.map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e]));
  const old = asMap(before);
  const now = asMap(after);
  const reasons: string[] = [];
  for (const [key, entry] of now) {
    if (!old.has(key)) reasons.push(`env/arg ${key} added (${entry})`);
    else if (old.get(key) !== entry) reasons.push(`env/arg ${key} changed: ${old.get(key)} → ${entry}`);
  }
  for (const key of old.keys()) if (!now.has(key)) reasons.push(`env/arg ${key} removed`);
  return reasons;
}

function fileChanges(before: Record<string, string>, after: Record<string, string>, limit = 10): string[] {
  const reasons: string[] = [];
  for (const [path, digest] of Object.entries(after)) {
    if (!(path in before)) reasons.push(`file ${path} added`);
    else if (before[path] !== digest) reasons.push(`file ${path} changed`);
  }
  for (const path of Object.keys(before)) if (!(path in after)) reasons.push(`file ${path} removed`);
  if (reasons.length > limit)
    return [...reasons.slice(0, limit), `... and ${reasons.length - limit} more file changes`];
  return reasons;
}

/** What the cache lookup of the missing step found, beside the inputs. */
export interface MissContext {
  /** An entry with this key was there, but its image (or a worker's snapshot) no longer is: its ref. */
  removedRef?: string;
  /** The earlier step that changed, when known. */
  upstream?: string;
}

/**
 * Why `now` misses, given the record of the last run of the same step. The parent is named only
 * when nothing of the step itself changed (the change is then upstream).
 */
export function explainMiss(
  previous: StepInputsRecord | undefined,
  now: StepInputsRecord,
  context: MissContext = {},
): string[] {
  if (!previous) return ['no earlier build of this step in the cache'];
  if (previous.key === now.key) {
    // Nothing the step reads changed: its entry went, or the entry's image did.
    return [
      context.removedRef === undefined
        ? 'its cache entry is gone: pruned, or the build that ran it last did not finish'
        : context.removedRef.startsWith('sha256:')
          ? 'the cached image was removed from the daemon'
          : 'the cached snapshot was removed from the OCI worker’s state (pruned for space, or deleted)',
    ];
  }
  const reasons: string[] = [];
  if (previous.baseImage !== now.baseImage && now.baseImage !== undefined) {
    reasons.push(`base image changed: ${previous.baseImage ?? '(none)'} → ${now.baseImage}`);
  }
  if (previous.instruction !== now.instruction)
    reasons.push(`instruction changed: "${previous.instruction}" → "${now.instruction}"`);
  reasons.push(...envChanges(previous.env ?? [], now.env ?? []));
  if (previous.files && now.files) reasons.push(...fileChanges(previous.files, now.files));
  else if (previous.filesDigest !== now.filesDigest) reasons.push('files read by the step changed');
  if (reasons.length === 0 && previous.parentKey !== now.parentKey) {
    reasons.push(context.upstream ? `an earlier step changed (${context.upstream})` : 'an earlier step changed');
  }
  if (reasons.length === 0) reasons.push('inputs changed in a way not recorded (e.g. a mount)');
  return reasons;
}
