// The plan's steps: what each instruction of a stage leaves to execute (RUN, COPY/ADD, WORKDIR, or
// config only), with the config after it. The contract between planning and everything that runs a
// build (cache keys, ops, workers): a types-only module, so none of them depends on the dispatcher.
import type { HistoryEntry, ImageConfig } from '../image/config.js';
import type { InlineSource, NetworkMode, RunMount, StageInstruction } from '../instructions/types.js';
import type { StepLintFacts } from './lint-facts.js';

/** Where COPY/ADD reads from. */
export type CopySource =
  | { kind: 'context' }
  | { kind: 'stage'; stage: number }
  | { kind: 'image'; ref: string }
  /** A `--build-context NAME=DIR` directory. */
  | { kind: 'dir'; path: string };

export interface RunAction {
  kind: 'run';
  /** The argv the container runs (shell prepended for shell form). */
  argv: string[];
  /** Environment: image env plus ARGs in scope, plus proxy build args. */
  env: string[];
  user: string;
  workdir: string;
  network: NetworkMode;
  security: 'sandbox' | 'insecure';
  mounts: RunMount[];
  /** A heredoc with a shebang runs as a script file (BuildKit mounts it at /dev/pipes/NAME). */
  script?: { name: string; data: string };
  /** ARGs visible to the step (names and values), part of its cache key. */
  args: Array<[string, string]>;
}

export interface CopyAction {
  kind: 'copy';
  add: boolean;
  source: CopySource;
  /** Source paths as expanded (relative to the context or the source stage's root). */
  sources: string[];
  inline: InlineSource[];
  /** Absolute destination; ends with `/` when it names a directory. */
  dest: string;
  chown: string;
  chmod: string;
  excludes: string[];
  parents: boolean;
  /** `--link` in effect (BuildKit ignores it when `--chmod` is given). */
  link: boolean;
  /** Local tar archives are unpacked (ADD, unless `--unpack=false`). */
  unpack: boolean;
  /** Downloaded archives are unpacked too (`ADD --unpack=true`). */
  unpackRemote: boolean;
  /** Git sources keep their `.git` directory (`ADD --keep-git-dir`). */
  keepGitDir: boolean;
  checksum: string;
  /** The user the stage runs as: ADD/COPY ownership defaults to root regardless, but --chown names resolve in its image. */
  user: string;
}

export interface WorkdirAction {
  kind: 'workdir';
  path: string;
  /** BuildKit creates the directory as the current USER. */
  user: string;
}

export type StepAction = { kind: 'config' } | RunAction | CopyAction | WorkdirAction;

export interface DispatchedStep {
  instruction: StageInstruction;
  /** Came from an ONBUILD trigger of the base. */
  onbuild: boolean;
  action: StepAction;
  /** Counted in `[stage i/n]` progress numbering (BuildKit counts RUN, COPY, ADD, WORKDIR). */
  counted: boolean;
  /** Text for progress: the instruction with its variables expanded, keyword upper-cased. */
  displayText: string;
  /** History entry without its timestamp (set when the step runs). */
  history: HistoryEntry;
  /** The image config after this step; history and rootfs are left empty (they come from execution). */
  configAfter: ImageConfig;
  /** What build checks need to know of the step's expansion. */
  lint?: StepLintFacts;
}
