// Recorded event streams of a Go client/server build (base, then build-client and build-server in
// parallel, then prod): a cold build, a rebuild after editing the client, and a failed build.
import type { BuildEvent, StepRef } from '../../engine/events.js';

/** The build's start; events are written as offsets from it in milliseconds. */
export const T0 = 1_760_000_000_000;

function ref(stageIndex: number, stage: string, index: number, total: number, name: string, line: number): StepRef {
  return { id: `${stageIndex}.${index}`, stage, stageIndex, index, total, name, line };
}

export const steps = {
  baseFrom: ref(0, 'base', 1, 4, 'FROM docker.io/library/golang:1.22-alpine', 1),
  baseWorkdir: ref(0, 'base', 2, 4, 'WORKDIR /src', 2),
  baseCopyMod: ref(0, 'base', 3, 4, 'COPY go.mod go.sum ./', 3),
  baseDownload: ref(0, 'base', 4, 4, 'RUN go mod download', 4),
  clientCopy: ref(1, 'build-client', 1, 2, 'COPY . .', 7),
  clientBuild: ref(1, 'build-client', 2, 2, 'RUN go build -v -o /out/client ./cmd/client', 8),
  serverCopy: ref(2, 'build-server', 1, 2, 'COPY . .', 11),
  serverBuild: ref(2, 'build-server', 2, 2, 'RUN go build -v -o /out/server ./cmd/server', 12),
  prodFrom: ref(3, 'prod', 1, 4, 'FROM docker.io/library/alpine:3.20', 14),
  prodApk: ref(3, 'prod', 2, 4, 'RUN apk add --no-cache ca-certificates', 15),
  prodCopyClient: ref(3, 'prod', 3, 4, 'COPY --from=build-client /out/client /usr/local/bin/client', 16),
  prodCopyServer: ref(3, 'prod', 4, 4, 'COPY --from=build-server /out/server /usr/local/bin/server', 17),
};

const buildStart = (buildId: string): BuildEvent => ({
  type: 'build-start',
  time: T0,
  buildId,
  worker: 'docker',
  target: 'prod',
  jobs: 4,
  stages: [
    { name: 'base', index: 0, dependsOn: [], steps: 3 },
    { name: 'build-client', index: 1, dependsOn: ['base'], steps: 2 },
    { name: 'build-server', index: 2, dependsOn: ['base'], steps: 2 },
    { name: 'prod', index: 3, dependsOn: ['build-client', 'build-server'], steps: 3 },
  ],
});

const start = (ms: number, step: StepRef): BuildEvent => ({ type: 'step-start', time: T0 + ms, step });
const miss = (ms: number, step: StepRef, reasons = ['no earlier build of this step in the cache']): BuildEvent => ({
  type: 'cache-miss',
  time: T0 + ms,
  stepId: step.id,
  reasons,
});
const log = (ms: number, step: StepRef, text: string, stream: 'stdout' | 'stderr' = 'stdout'): BuildEvent => ({
  type: 'step-log',
  time: T0 + ms,
  stepId: step.id,
  stream,
  text,
});
const cached = (ms: number, step: StepRef, savedSeconds: number): BuildEvent => ({
  type: 'step-cached',
  time: T0 + ms,
  step,
  savedSeconds,
});
/** A step that ran from `from` to `ms`; the engine reports seconds from the same clock. */
const done = (ms: number, step: StepRef, from: number, layerSize: number): BuildEvent => ({
  type: 'step-done',
  time: T0 + ms,
  stepId: step.id,
  seconds: (ms - from) / 1000,
  layerSize,
});
const stageDone = (ms: number, stageIndex: number, stage: string, imageId: string, size: number): BuildEvent => ({
  type: 'stage-done',
  time: T0 + ms,
  stage,
  stageIndex,
  imageId,
  size,
});

const s = steps;

/** First build, empty cache: prod's FROM and apk run alongside base; the two Go builds run together. */
export const coldBuild: BuildEvent[] = [
  buildStart('b7c1e2a09f31'),
  start(4, s.baseFrom),
  start(5, s.prodFrom),
  done(412, s.prodFrom, 5, 0),
  start(414, s.prodApk),
  miss(420, s.prodApk),
  done(620, s.baseFrom, 4, 0),
  start(622, s.baseWorkdir),
  miss(624, s.baseWorkdir),
  done(700, s.baseWorkdir, 622, 93),
  start(702, s.baseCopyMod),
  miss(705, s.baseCopyMod),
  log(880, s.prodApk, 'fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz\n'),
  done(960, s.baseCopyMod, 702, 1_234),
  start(962, s.baseDownload),
  miss(966, s.baseDownload),
  log(
    1_200,
    s.prodApk,
    'fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/community/x86_64/APKINDEX.tar.gz\n(1/1) Installing ca-certificates (20240705-r0)\n',
  ),
  log(1_450, s.baseDownload, 'go: downloading github.com/gorilla/mux v1.8.1\n', 'stderr'),
  log(
    1_630,
    s.prodApk,
    'Executing busybox-1.36.1-r29.trigger\nExecuting ca-certificates-20240705-r0.trigger\nOK: 8 MiB in 15 packages',
  ),
  done(1_702, s.prodApk, 414, 695_432),
  log(2_300, s.baseDownload, 'go: downloading golang.org/x/sync v0.7.0\n', 'stderr'),
  done(3_410, s.baseDownload, 962, 3_145_728),
  stageDone(3_412, 0, 'base', 'sha256:0b4e5c9a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b', 271_000_000),
  start(3_415, s.clientCopy),
  start(3_416, s.serverCopy),
  miss(3_418, s.clientCopy),
  miss(3_419, s.serverCopy),
  done(3_600, s.clientCopy, 3_415, 48_210),
  done(3_604, s.serverCopy, 3_416, 48_210),
  start(3_606, s.clientBuild),
  start(3_607, s.serverBuild),
  miss(3_609, s.clientBuild),
  miss(3_610, s.serverBuild),
  log(4_100, s.clientBuild, 'example.com/app/internal/proto\n', 'stderr'),
  log(4_150, s.serverBuild, 'github.com/gorilla/mux\nexample.com/app/internal/proto\n', 'stderr'),
  log(5_200, s.clientBuild, 'example.com/app/cmd/client\n', 'stderr'),
  done(6_900, s.clientBuild, 3_606, 7_340_032),
  stageDone(
    6_902,
    1,
    'build-client',
    'sha256:1c5f6d0b2e3a4f5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c',
    278_400_000,
  ),
  start(6_905, s.prodCopyClient),
  miss(6_907, s.prodCopyClient),
  done(6_990, s.prodCopyClient, 6_905, 7_340_544),
  log(7_100, s.serverBuild, 'example.com/app/internal/api\n', 'stderr'),
  log(8_120, s.serverBuild, 'example.com/app/cmd/server\n', 'stderr'),
  done(8_700, s.serverBuild, 3_607, 12_582_912),
  stageDone(
    8_702,
    2,
    'build-server',
    'sha256:2d6a7e1c3f4b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d',
    283_700_000,
  ),
  start(8_705, s.prodCopyServer),
  miss(8_707, s.prodCopyServer),
  done(8_790, s.prodCopyServer, 8_705, 12_583_424),
  stageDone(8_800, 3, 'prod', 'sha256:5f2ce0d7a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9', 28_450_000),
  {
    type: 'build-done',
    time: T0 + 8_850,
    summary: {
      imageId: 'sha256:5f2ce0d7a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9',
      tags: ['example/app:latest'],
      worker: 'docker',
      seconds: 8.85,
      stepsRun: 10,
      stepsCached: 0,
      secondsSaved: 0,
      imageSize: 28_450_000,
      stageSizes: [
        { stage: 'base', size: 271_000_000 },
        { stage: 'build-client', size: 278_400_000 },
        { stage: 'build-server', size: 283_700_000 },
      ],
      criticalPath: ['0.1', '0.2', '0.3', '0.4', '2.1', '2.2', '3.4'],
    },
  },
];

/** Rebuild after editing cmd/client/main.go: everything is cached but the client and what copies it. */
export const clientEditRebuild: BuildEvent[] = [
  buildStart('c2d8f3b1a042'),
  start(3, s.baseFrom),
  start(4, s.prodFrom),
  done(48, s.baseFrom, 3, 0),
  done(51, s.prodFrom, 4, 0),
  start(52, s.baseWorkdir),
  start(53, s.prodApk),
  cached(55, s.baseWorkdir, 0.078),
  start(56, s.baseCopyMod),
  cached(58, s.prodApk, 1.288),
  cached(61, s.baseCopyMod, 0.258),
  start(62, s.baseDownload),
  cached(64, s.baseDownload, 2.448),
  stageDone(66, 0, 'base', 'sha256:0b4e5c9a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b', 271_000_000),
  start(70, s.clientCopy),
  start(71, s.serverCopy),
  miss(190, s.clientCopy, ['file cmd/client/main.go changed']),
  cached(192, s.serverCopy, 0.188),
  start(194, s.serverBuild),
  cached(196, s.serverBuild, 5.093),
  stageDone(
    199,
    2,
    'build-server',
    'sha256:2d6a7e1c3f4b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d',
    283_700_000,
  ),
  done(260, s.clientCopy, 70, 48_230),
  start(262, s.clientBuild),
  miss(264, s.clientBuild, ['an earlier step changed (1.1)']),
  log(1_010, s.clientBuild, 'example.com/app/cmd/client\n', 'stderr'),
  done(1_930, s.clientBuild, 262, 7_340_160),
  stageDone(
    1_932,
    1,
    'build-client',
    'sha256:3e7b8f2d4a5c6b7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e',
    278_400_128,
  ),
  start(1_935, s.prodCopyClient),
  miss(1_937, s.prodCopyClient, ['files read by the step changed']),
  done(2_010, s.prodCopyClient, 1_935, 7_340_672),
  start(2_012, s.prodCopyServer),
  miss(2_014, s.prodCopyServer, ['an earlier step changed (3.3)']),
  done(2_095, s.prodCopyServer, 2_012, 12_583_424),
  stageDone(2_100, 3, 'prod', 'sha256:6a3df1e8b2c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0', 28_450_128),
  {
    type: 'build-done',
    time: T0 + 2_140,
    summary: {
      imageId: 'sha256:6a3df1e8b2c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0',
      worker: 'docker',
      tags: ['example/app:latest'],
      seconds: 2.14,
      stepsRun: 4,
      stepsCached: 6,
      secondsSaved: 9.353,
      imageSize: 28_450_128,
      stageSizes: [
        { stage: 'base', size: 271_000_000 },
        { stage: 'build-client', size: 278_400_128 },
        { stage: 'build-server', size: 283_700_000 },
      ],
      criticalPath: ['0.1', '0.2', '0.3', '0.4', '1.1', '1.2', '3.3', '3.4'],
    },
  },
];

const serverFailure =
  'process "/bin/sh -c go build -v -o /out/server ./cmd/server" did not complete successfully: exit code 1';

/** The server does not compile: its step fails while the client build runs, which is cancelled. */
export const failedBuild: BuildEvent[] = [
  { type: 'warning', time: T0 - 40, message: 'build arg VERSION was given but no stage declares it (ARG VERSION)' },
  buildStart('d9e4a5c2b153'),
  start(3, s.baseFrom),
  start(4, s.prodFrom),
  done(47, s.baseFrom, 3, 0),
  done(50, s.prodFrom, 4, 0),
  start(51, s.baseWorkdir),
  start(52, s.prodApk),
  cached(54, s.baseWorkdir, 0.078),
  start(55, s.baseCopyMod),
  cached(57, s.prodApk, 1.288),
  cached(60, s.baseCopyMod, 0.258),
  start(61, s.baseDownload),
  cached(63, s.baseDownload, 2.448),
  stageDone(65, 0, 'base', 'sha256:0b4e5c9a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b', 271_000_000),
  start(68, s.clientCopy),
  start(69, s.serverCopy),
  miss(180, s.clientCopy, ['file cmd/client/main.go changed']),
  miss(181, s.serverCopy, ['file internal/api/router.go changed', 'file cmd/server/main.go changed']),
  done(250, s.clientCopy, 68, 48_230),
  done(252, s.serverCopy, 69, 48_260),
  start(254, s.clientBuild),
  start(255, s.serverBuild),
  miss(257, s.clientBuild, ['an earlier step changed (1.1)']),
  miss(258, s.serverBuild, ['an earlier step changed (2.1)']),
  log(900, s.serverBuild, 'example.com/app/internal/api\n', 'stderr'),
  log(1_020, s.clientBuild, 'example.com/app/internal/proto\n', 'stderr'),
  log(
    1_400,
    s.serverBuild,
    '# example.com/app/cmd/server\ncmd/server/main.go:14:2: undefined: api.NewRouter\n',
    'stderr',
  ),
  { type: 'step-error', time: T0 + 1_480, stepId: s.serverBuild.id, message: serverFailure, cancelled: false },
  { type: 'step-error', time: T0 + 1_495, stepId: s.clientBuild.id, message: 'cancelled', cancelled: true },
  {
    type: 'build-error',
    time: T0 + 1_530,
    message: `[build-server 2/2] RUN go build -v -o /out/server ./cmd/server: ${serverFailure}`,
    stepId: s.serverBuild.id,
  },
];

export const recordedBuilds: Record<string, BuildEvent[]> = {
  'go-cold': coldBuild,
  'go-client-edit': clientEditRebuild,
  'go-failed': failedBuild,
};
