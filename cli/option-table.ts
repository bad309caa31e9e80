// Every command-line option of every command, declared once: its flags, what it does, which commands
// take it, and whether msbuild implements it (works), accepts it as what it means for a local builder
// (no-op) or refuses it by name. Keys are the BuildOptions field an option sets (`limits.memory` for a
// nested one), else the CLI setting it is; commander stores each value under its key. The README's
// flag table is generated from this table (test/cli/flag-table.test.ts checks it).
import { compatOptions } from './compat-options.js';
import { containerOptions } from './container-options.js';
import type { CommandName, OptionSpec } from './option-spec.js';

export {
  isBoolFlag,
  longFlag,
  shortFlag,
  type CommandName,
  type OptionSpec,
  type Origin,
  type Support,
} from './option-spec.js';

/** The commands that read a Dockerfile. */
const inputs = ['build', 'plan', 'explain', 'check'] as const;

export const optionTable = {
  // What to build.
  dockerfile: {
    flags: '-f, --file <path>',
    description: 'Dockerfile (default: CONTEXT/Dockerfile); - reads it from stdin',
    commands: [...inputs, 'debug-ast'],
    support: 'works',
    origin: 'buildx',
  },
  target: {
    flags: '--target <stage>',
    description: 'build this stage and what it needs',
    commands: inputs,
    support: 'works',
    origin: 'buildx',
  },
  buildArgs: {
    flags: '--build-arg <key=value>',
    description: 'set a build argument; a bare KEY takes its value from the environment',
    commands: inputs,
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  platform: {
    flags: '--platform <platform>',
    description: "target platform: the daemon's own (others are refused until multi-platform builds exist)",
    commands: inputs,
    support: 'works',
    origin: 'buildx',
    note: "the daemon's platform only; another platform, or several, is refused",
  },
  tags: {
    flags: '-t, --tag <name>',
    description: 'name the image',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  labels: {
    flags: '--label <key=value>',
    description: 'add a label to the image',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  // The cache.
  noCache: {
    flags: '--no-cache',
    description: 'do not use the cache',
    commands: ['build', 'explain', 'bake'],
    support: 'works',
    origin: 'buildx',
  },
  noCacheFilter: {
    flags: '--no-cache-filter <stages>',
    description: 'do not use the cache for these stages (comma separated)',
    commands: ['build', 'explain'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  cacheDir: {
    flags: '--cache-dir <dir>',
    description: 'cache index directory (default: $XDG_CACHE_HOME/msbuild)',
    commands: ['build', 'bake', 'cache'],
    support: 'works',
    origin: 'msbuild',
  },
  cacheFrom: {
    flags: '--cache-from <spec>',
    description:
      'import a cache first: type=local,src=DIR, type=registry,ref=REF, or an image (legacy layers, else its registry)',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
    note: "type=local, type=registry and images (the daemon's: legacy layer cache; else read from the registry, with inline cache); a cache that cannot be read warns",
  },
  cacheTo: {
    flags: '--cache-to <spec>',
    description:
      'export the cache this build used: type=local,dest=DIR, type=registry,ref=REF[,mode=min|max] or type=inline',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
    note: 'type=local, type=registry (mode=min|max, ignore-error) and type=inline; one per build',
  },
  pull: {
    flags: '--pull [policy]',
    description: 'pull base images: always (the flag alone, or true), missing (default, or false) or never',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
    bare: { value: 'always', values: ['always', 'missing', 'never', 'true', 'false'] },
  },
  // How steps run.
  network: {
    flags: '--network <mode>',
    description: 'network for RUN: default, none, host, or the name of a Docker network',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
    note: 'also a named network, as the legacy builder (BuildKit cannot: docker/buildx#175)',
  },
  worker: {
    flags: '--worker <worker>',
    description:
      'what runs the steps: auto (default: oci where it can run, else docker), oci (runc on msbuild snapshots) or docker (Engine API); also MSBUILD_WORKER',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'msbuild',
  },
  secrets: {
    flags: '--secret <spec>',
    description: 'secret for RUN --mount=type=secret: id=x[,src=FILE|env=VAR][,type=file|env]',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  allow: {
    flags: '--allow <entitlement>',
    description: 'grant an entitlement: network.host or security.insecure',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  ssh: {
    flags: '--ssh <spec>',
    description: 'SSH agent for RUN --mount=type=ssh: default, ID=SOCKET or ID=KEY[,KEY]',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  buildContexts: {
    flags: '--build-context <name=value>',
    description: 'replace the stage or image NAME: docker-image://REF, target:STAGE or a directory',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
    note: 'oci-layout://, Git and URL contexts are refused by name',
  },
  check: {
    flags: '--check',
    description: 'run the build checks and report them without building (exit 1 on a warning)',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
  },
  jobs: {
    flags: '-j, --jobs <n>',
    description: 'steps run at once',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'msbuild',
  },
  ...containerOptions,
  outputs: {
    flags: '-o, --output <spec>',
    description:
      'also write the image: DIR, - (a tar on stdout), type=local|tar|oci|docker,dest=PATH (dest=- is stdout)',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
    note: 'local, tar, oci, docker (dest= writes the archive), image and registry (name=, push=true)',
  },
  push: {
    flags: '--push',
    description: 'push the image under every -t name (shorthand for --output type=registry)',
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
  },
  iidfile: {
    flags: '--iidfile <file>',
    description: 'write the image ID to a file',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
  },
  metadataFile: {
    flags: '--metadata-file <file>',
    description: "write the build's result (image ID, tags, digest) as JSON",
    commands: ['build', 'bake'],
    support: 'works',
    origin: 'buildx',
  },
  // What is shown.
  progress: {
    flags: '--progress <mode>',
    description: 'auto, tty, plain, json (msbuild events), rawjson (BuildKit SolveStatus lines), quiet or none',
    commands: ['build', 'bake', 'check'],
    support: 'works',
    origin: 'buildx',
    note: "also json, msbuild's own events (docs/progress-json.md); BUILDKIT_PROGRESS sets the default",
  },
  quiet: {
    flags: '-q, --quiet',
    description: 'print only the image ID',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
  },
  debug: {
    flags: '-D, --debug',
    description: 'print the stack of an unexpected error',
    commands: ['build', 'plan', 'explain', 'bake'],
    support: 'works',
    origin: 'buildx',
  },
  trace: {
    flags: '--trace <file>',
    description: 'write a Chrome trace-event file of the build (open in Perfetto or chrome://tracing)',
    commands: ['build'],
    support: 'works',
    origin: 'msbuild',
  },
  timeline: {
    flags: '--timeline <file>',
    description: 'draw the build as a Gantt chart: FILE.svg or FILE.html',
    commands: ['build'],
    support: 'works',
    origin: 'msbuild',
  },
  format: {
    flags: '--format <format>',
    description: 'text, json, dot or mermaid',
    commands: ['plan'],
    support: 'works',
    origin: 'msbuild',
  },
  // Bake.
  bakeFiles: {
    flags: '-f, --file <path>',
    description: 'bake file: HCL, JSON or compose (repeatable, merged; default: the files buildx looks for)',
    commands: ['bake'],
    support: 'works',
    origin: 'bake',
    repeatable: true,
  },
  set: {
    flags: '--set <pattern.key=value>',
    description: 'override a target setting: api.args.VERSION=2, *.platform=linux/amd64, foo*.tags+=x',
    commands: ['bake'],
    support: 'works',
    origin: 'bake',
    repeatable: true,
  },
  vars: {
    flags: '--var <name=value>',
    description: 'set a variable of the bake file',
    commands: ['bake'],
    support: 'works',
    origin: 'bake',
    repeatable: true,
  },
  print: {
    flags: '--print',
    description: 'print the resolved targets as buildx prints them (JSON) and exit',
    commands: ['bake'],
    support: 'works',
    origin: 'bake',
  },
  list: {
    flags: '--list <what>',
    description: 'list targets or variables (type=targets|variables[,format=table|json])',
    commands: ['bake'],
    support: 'works',
    origin: 'bake',
  },
  // The cache's own commands.
  json: {
    flags: '--json',
    description: 'machine-readable output',
    commands: ['cache-ls'],
    support: 'works',
    origin: 'msbuild',
  },
  keepStorage: {
    flags: '--keep-storage <size>',
    description: 'keep at most this much (least recently used go first), e.g. 5GB',
    commands: ['cache-prune'],
    support: 'works',
    origin: 'msbuild',
  },
  filter: {
    flags: '--filter <filter>',
    description: 'until=DURATION: remove entries unused for longer (e.g. until=24h)',
    commands: ['cache-prune'],
    support: 'works',
    origin: 'msbuild',
    repeatable: true,
  },
  all: {
    flags: '-a, --all',
    description: 'remove everything',
    commands: ['cache-prune'],
    support: 'works',
    origin: 'msbuild',
  },
  dest: {
    flags: '--dest <dir>',
    description: 'directory to write',
    commands: ['cache-export'],
    support: 'works',
    origin: 'msbuild',
  },
  src: {
    flags: '--src <dir>',
    description: 'directory written by cache export or --cache-to',
    commands: ['cache-import'],
    support: 'works',
    origin: 'msbuild',
  },
  mounts: {
    flags: '--mounts',
    description: 'also the contents of RUN --mount=type=cache caches',
    commands: ['cache-export', 'cache-import'],
    support: 'works',
    origin: 'msbuild',
  },
  ...compatOptions,
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof optionTable;

/** The options of one command, in table order. */
export function optionsOf(command: CommandName): Array<[OptionKey, OptionSpec]> {
  return (Object.entries(optionTable) as Array<[OptionKey, OptionSpec]>).filter(([, spec]) =>
    spec.commands.includes(command),
  );
}
