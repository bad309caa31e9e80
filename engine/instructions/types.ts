// Typed Dockerfile instructions: what each instruction means once its node has been validated.
// Values are as written (unexpanded); engine/plan/dispatch.ts expands them in the stage's scope.
import type { Heredoc, InstructionNode, Position, SourceRange } from '../dockerfile/ast.js';

interface InstructionBase {
  /** The node this instruction came from (for positions, original text and comments). */
  node: InstructionNode;
  /** The instruction as written, continuations joined and trimmed (BuildKit's `code`). */
  text: string;
  range: SourceRange;
}

export interface KeyValue {
  key: string;
  value: string;
  /** Written in the legacy `KEY value` form (no `=`). */
  noDelimiter: boolean;
}

export interface OptionalKeyValue {
  key: string;
  value: string | undefined;
}

/** An inline file given by a heredoc in COPY/ADD (`COPY <<EOF /dest`). */
export interface InlineSource {
  name: string;
  data: string;
  expand: boolean;
}

export interface SourcesAndDest {
  sources: string[];
  inlineSources: InlineSource[];
  dest: string;
}

/** Shell-or-exec command line as RUN/CMD/ENTRYPOINT hold it. */
export interface CommandLine {
  /** Exec form: the argv; shell form: a single string (args joined by spaces). */
  args: string[];
  /** Shell form: the shell from SHELL (or /bin/sh -c) is prepended when it runs. */
  prependShell: boolean;
  /** Heredoc bodies attached to the command (RUN only). */
  files: Heredoc[];
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type MountSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  from: string;
  source: string;
  target: string;
  readOnly: boolean;
  sizeLimit: number;
  id: string;
  sharing: MountSharing | '';
  required: boolean;
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** The flag value as written, expanded again per stage scope. */
  spec: string;
}

export type NetworkMode = 'default' | 'none' | 'host';

export interface HealthcheckSpec {
  /** `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", command]`. */
  test: string[];
  /** Durations in nanoseconds, 0 when not set (as Docker's config holds them). */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  baseName: string;
  /** Stage name from `AS name`, lower-cased; '' when unnamed. */
  stageName: string;
  platform: string;
}

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  command: CommandLine;
  mounts: RunMount[];
  network: NetworkMode;
  security: 'sandbox' | 'insecure';
  /** Raw `--mount` values, kept for expansion in scope. */
  mountSpecs: string[];
  mountPositions: Position[];
}

export interface CmdInstruction extends InstructionBase {
  kind: 'CMD';
  command: CommandLine;
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  shell: string[];
}

export interface CopyInstruction extends InstructionBase {
  kind: 'COPY';
  paths: SourcesAndDest;
  from: string;
  chown: string;
  chmod: string;
  link: boolean;
  parents: boolean;
  excludes: string[];
}

export interface AddInstruction extends InstructionBase {
  kind: 'ADD';
  paths: SourcesAndDest;
  chown: string;
  chmod: string;
  link: boolean;
  keepGitDir: boolean | undefined;
  checksum: string;
  unpack: boolean | undefined;
  excludes: string[];
}

export interface EnvInstruction extends InstructionBase {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface ArgInstruction extends InstructionBase {
  kind: 'ARG';
  args: OptionalKeyValue[];
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends InstructionBase {
  kind: 'USER';
  user: string;
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'EXPOSE';
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'VOLUME';
  volumes: string[];
}

export interface StopSignalInstruction extends InstructionBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  health: HealthcheckSpec;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger as it will be stored in the image config (`RUN echo hi`). */
  expression: string;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

/** Instructions that belong to a stage (everything but FROM). */
export type StageInstruction =
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | VolumeInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type Instruction = FromInstruction | StageInstruction;

export type InstructionKind = Instruction['kind'];

/** A stage as written: its FROM and the instructions up to the next FROM. */
export interface StageDefinition {
  /** 0-based position among the stages. */
  index: number;
  from: FromInstruction;
  instructions: StageInstruction[];
}

/** The whole Dockerfile in typed form. */
export interface DockerfileDefinition {
  /** ARG instructions before the first FROM (BuildKit's meta args). */
  metaArgs: ArgInstruction[];
  stages: StageDefinition[];
}
