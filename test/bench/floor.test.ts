// The benchmark's Engine API floor: which daemon operations a cold build's critical path needs,
// read from msbuild's JSON progress, and what they add up to.
import test from 'ava';
import { criticalPathCounts, floorMs, type EngineFloor } from '../../bench/floor.js';

const step = (id: string, stage: string, name: string) =>
  JSON.stringify({ type: 'step-start', time: 0, step: { id, stage, name } });
const done = (criticalPath: string[]) => JSON.stringify({ type: 'build-done', time: 0, summary: { criticalPath } });

const dockerfile = [
  'FROM busybox AS base',
  'RUN true',
  'FROM base AS build',
  'RUN true',
  'FROM scratch AS out',
  'COPY --from=build /a /a',
  'COPY b /b',
  'FROM out',
  'WORKDIR /w',
].join('\n');

test('steps on the critical path are counted by what they ask of the daemon', (t) => {
  const lines = [
    step('0.1', 'base', 'FROM busybox'),
    step('0.2', 'base', 'RUN true'),
    step('1.1', 'build', 'RUN true'),
    step('2.1', 'out', 'COPY --from=build /a /a'),
    step('2.2', 'out', 'COPY b /b'),
    step('3.1', 'stage-3', 'WORKDIR /w'),
    'not json: an ordinary line of output',
    done(['0.1', '0.2', '1.1', '2.1', '2.2', '3.1']),
  ];
  // `out` starts from scratch and so does the unnamed stage built on it: their layers are written, and
  // loaded at least once (the floor counts the least).
  t.deepEqual(criticalPathCounts(lines, dockerfile), {
    runs: 2,
    copiesOntoImages: 0,
    fetches: 1,
    writtenLayers: 3,
    loads: 1,
  });
});

test('steps off the critical path do not count, and a copy onto an image is a commit', (t) => {
  const lines = [
    step('0.1', 'base', 'FROM busybox'),
    step('0.2', 'base', 'RUN true'),
    step('1.1', 'build', 'RUN true'),
    done(['0.1', '1.1']),
  ];
  t.deepEqual(
    criticalPathCounts(lines, 'FROM busybox AS base\nRUN true\nFROM busybox AS build\nCOPY x /x\nRUN true\n'),
    {
      runs: 1,
      copiesOntoImages: 0,
      fetches: 0,
      writtenLayers: 0,
      loads: 0,
    },
  );
  const copies = [step('0.1', 'base', 'COPY x /x'), step('0.2', 'base', 'WORKDIR /app'), done(['0.1', '0.2'])];
  t.is(criticalPathCounts(copies, 'FROM busybox AS base\nCOPY x /x\nWORKDIR /app\n').copiesOntoImages, 2);
});

test('the floor adds up each kind of operation', (t) => {
  const floor: EngineFloor = {
    nodeStart: 90,
    create: 10,
    start: 100,
    wait: 40,
    commit: 70,
    putArchive: 60,
    getArchive: 50,
    remove: 10,
    loadOneLayer: 120,
    loadPerLayer: 60,
  };
  const ms = floorMs({ runs: 2, copiesOntoImages: 1, fetches: 1, writtenLayers: 3, loads: 1 }, floor);
  // 2 × (10 + 100 + 40 + 70) + (10 + 60 + 70) + (10 + 50) + 120 + 2 × 60
  t.is(ms, 440 + 140 + 60 + 120 + 120);
  t.is(floorMs({ runs: 0, copiesOntoImages: 0, fetches: 0, writtenLayers: 0, loads: 0 }, floor), 0);
});
