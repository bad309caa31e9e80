// Base images of one build (FROM, COPY --from=IMAGE, RUN --mount from=IMAGE): each reference resolved
// once, pulled per the policy (by the build's own puller when it has one: credentials and progress),
// with an error naming the stages when a name is neither.
import { BuildError } from '../build-error.js';
import { isMsbuildError } from '../errors.js';
import { ImagePullError, type PullPolicy, type ResolvedImage, type Worker } from '../worker/worker.js';

export interface BaseImageHooks {
  /** Pulls `ref` into the daemon (instead of the worker's anonymous pull); throws an MsbuildError. */
  pull?: (ref: string) => Promise<void>;
  /** Told of every image resolved (a registry cache learns the layer chains the daemon has). */
  resolved?: (image: ResolvedImage) => void;
}

export class BaseImages {
  private readonly resolved = new Map<string, Promise<ResolvedImage>>();
  /** Image IDs by reference, once resolved (a stage's first step records its base image). */
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly worker: Worker,
    private readonly pull: PullPolicy,
    /** The stage names of the Dockerfile, for a hint when a reference is not an image. */
    private readonly stageNames: () => readonly string[],
    private readonly hooks: BaseImageHooks = {},
  ) {}

  /** A base (or COPY --from) image by reference: its ID and config, pulled per the policy. */
  resolve(ref: string): Promise<ResolvedImage> {
    let pending = this.resolved.get(ref);
    if (!pending) {
      pending = this.find(ref);
      this.resolved.set(ref, pending);
    }
    return pending;
  }

  /** The ID `ref` resolved to, if it was. */
  idOf(ref: string): string | undefined {
    return this.ids.get(ref);
  }

  private async find(ref: string): Promise<ResolvedImage> {
    let found: ResolvedImage | undefined;
    try {
      found = await this.resolveOrPull(ref);
    } catch (error) {
      if (!isMsbuildError(error)) throw error;
      const stages = this.stageNames();
      const hint =
        stages.length > 0 ? `; it is not a stage of this Dockerfile either (stages: ${stages.join(', ')})` : '';
      const message = error instanceof ImagePullError ? error.message : `cannot pull image "${ref}": ${error.message}`;
      throw new BuildError(`${message}${hint}`, { cause: error });
    }
    if (!found) {
      const stages = this.stageNames();
      const hint = stages.length > 0 ? ` (stages in this Dockerfile: ${stages.join(', ')})` : '';
      throw new BuildError(
        `image "${ref}" is not in the daemon and was not pulled (--pull=never); it is not a stage name either${hint}`,
      );
    }
    this.ids.set(ref, found.id);
    this.hooks.resolved?.(found);
    return found;
  }

  private async resolveOrPull(ref: string): Promise<ResolvedImage | undefined> {
    const pull = this.hooks.pull;
    if (!pull) return this.worker.resolveImage(ref, this.pull);
    let found = this.pull === 'always' ? undefined : await this.worker.resolveImage(ref, 'never');
    if (!found && this.pull !== 'never') {
      await pull(ref);
      found = await this.worker.resolveImage(ref, 'never');
    }
    return found;
  }
}
