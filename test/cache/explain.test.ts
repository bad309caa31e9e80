// Miss explanations without a daemon: what changed since the step last ran, and, when nothing did,
// whether its entry or the entry's image is what went.
import test from 'ava';
import { explainMiss } from '../../engine/cache/explain.js';
import type { StepInputsRecord } from '../../engine/cache/store.js';

const record = (changes: Partial<StepInputsRecord> = {}): StepInputsRecord => ({
  key: 'k1',
  parentKey: 'p1',
  instruction: 'COPY a /a',
  files: { a: 'd1' },
  time: '2026-12-01T00:00:00Z',
  ...changes,
});

test('a step never built before says so', (t) => {
  t.deepEqual(explainMiss(undefined, record()), ['no earlier build of this step in the cache']);
});

test('with the same key, the miss names the entry, the image or the snapshot that went', (t) => {
  t.deepEqual(explainMiss(record(), record()), [
    'its cache entry is gone: pruned, or the build that ran it last did not finish',
  ]);
  t.deepEqual(explainMiss(record(), record(), { removedRef: `sha256:${'a'.repeat(64)}` }), [
    'the cached image was removed from the daemon',
  ]);
  t.deepEqual(explainMiss(record(), record(), { removedRef: 'oci:0123456789abcdef' }), [
    'the cached snapshot was removed from the OCI worker’s state (pruned for space, or deleted)',
  ]);
});

test('a changed file and a changed upstream step are named', (t) => {
  t.deepEqual(explainMiss(record(), record({ key: 'k2', files: { a: 'd2' } })), ['file a changed']);
  t.deepEqual(explainMiss(record(), record({ key: 'k2', parentKey: 'p2' }), { upstream: 'RUN make' }), [
    'an earlier step changed (RUN make)',
  ]);
});
