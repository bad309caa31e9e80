// Unit: --build-context as buildx passes it and BuildKit's frontend uses it: a context replaces the
// stage of its name (its instructions do not run) and the image references of its name, compared as
// references (`docker.io/library/alpine:latest` is `alpine`); other kinds of source are refused by name.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextKey, parseNamedContexts } from '../../engine/plan/named-contexts.js';
import { planBuild } from '../../engine/plan/plan.js';

test('names are keys as references: docker.io/library and :latest dropped', (t) => {
  t.is(contextKey('docker.io/library/alpine:latest'), 'alpine');
  t.is(contextKey('alpine'), 'alpine');
  t.is(contextKey('alpine:3.19'), 'alpine:3.19');
  t.is(contextKey('docker.io/user/tool'), 'user/tool');
  t.is(contextKey('Bad Name'), undefined);
});

test('docker-image:// replaces a FROM image, a COPY --from image and a stage of that name', async (t) => {
  const namedContexts = parseNamedContexts([
    'docker.io/library/alpine:latest=docker-image://busybox:latest',
    'deps=docker-image://debian:bookworm-slim',
  ]);
  const plan = await planBuild(
    'FROM alpine AS deps\nRUN never runs\nFROM scratch\nCOPY --from=deps /etc/os-release /\nCOPY --from=alpine /bin/sh /sh\n',
    { namedContexts },
  );
  const deps = plan.stages.find((s) => s.node.name === 'deps');
  t.deepEqual(deps?.node.base, { kind: 'image', ref: 'debian:bookworm-slim' });
  t.deepEqual(deps?.steps, []);
  t.deepEqual(plan.externalImages.sort(), ['busybox:latest', 'debian:bookworm-slim']);
});

test('target:STAGE makes another stage stand for the name, also one further down', async (t) => {
  const plan = await planBuild('FROM tools AS app\nRUN app\nFROM busybox AS toolbox\nRUN build tools\n', {
    namedContexts: parseNamedContexts(['tools=target:toolbox']),
    target: 'app',
  });
  t.deepEqual(
    plan.stages.map((s) => s.node.name),
    ['app', 'toolbox'],
  );
  t.deepEqual(plan.stages[0].node.base, { kind: 'stage', stage: 1 });
});

test('a directory context is copied onto scratch for FROM and read directly by COPY --from', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-named-'));
  const plan = await planBuild('FROM files AS a\nRUN ls\nFROM scratch\nCOPY --from=files / /copied/\n', {
    namedContexts: parseNamedContexts([`files=${dir}`]),
    allStages: true,
  });
  t.deepEqual(plan.stages[0].node.base, { kind: 'scratch' });
  t.like(plan.stages[0].steps[0].action, { kind: 'copy', source: { kind: 'dir', path: dir }, dest: '/' });
  t.like(plan.stages[1].steps[0].action, { kind: 'copy', source: { kind: 'dir', path: dir } });
  await t.throwsAsync(
    planBuild('FROM busybox\nRUN --mount=from=files,target=/f ls /f\n', {
      namedContexts: parseNamedContexts([`files=${dir}`]),
    }),
    { message: /a directory --build-context is not supported for mounts/ },
  );
});

test('other kinds of context are refused by name; a missing directory is named', (t) => {
  t.throws(() => parseNamedContexts(['x=oci-layout:///tmp/layout']), {
    message: /x=oci-layout:\/\/\/tmp\/layout: this kind of context is not supported by msbuild/,
  });
  t.throws(() => parseNamedContexts(['x=https://example.invalid/repo.git']), { message: /not supported by msbuild/ });
  t.throws(() => parseNamedContexts(['x=/nonexistent/dir']), { message: /^failed to get build context x/ });
  t.throws(() => parseNamedContexts(['novalue']), { message: 'invalid context value: novalue, expected key=value' });
});
