// Unit: background loads run one at a time, a waiting load covered by a newer one rides along with
// it, a layer is sent once, and a failure is kept for the end of the build.
import test from 'ava';
import { emptyImageConfig, imageIdOf, type ImageConfig } from '../../engine/image/config.js';
import { BackgroundLoader, type LoadFunction } from '../../engine/oci/loader.js';

function configWith(diffIds: string[]): ImageConfig {
  const config = emptyImageConfig({ os: 'linux', architecture: 'amd64' });
  return {
    ...config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((id) => ({ created_by: `step ${id}` })),
  };
}

test('loads in order, coalescing covered waiting loads, sending each layer once', async (t) => {
  const calls: Array<{ config: string; layers: string[] }> = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const load: LoadFunction = async (job) => {
    if (calls.length === 0) await gate;
    calls.push({ config: job.config.rootfs.diff_ids.join(','), layers: job.newLayers.map((l) => l.diffId) });
    return imageIdOf(job.config);
  };
  const loader = new BackgroundLoader(load, new AbortController().signal, ['base']);
  const one = configWith(['base', 'a']);
  const two = configWith(['base', 'a', 'b']);
  const three = configWith(['base', 'a', 'b', 'c']);
  const layer = (id: string) => ({ diffId: id, path: `/${id}.tar` });
  const first = loader.enqueue({ config: one, ancestors: [], layers: [layer('base'), layer('a')] });
  const second = loader.enqueue({ config: two, ancestors: [one], layers: [layer('a'), layer('b')] });
  const third = loader.enqueue({ config: three, ancestors: [one, two], layers: [layer('a'), layer('b'), layer('c')] });
  release();
  t.is(await first, imageIdOf(one));
  // The second waited behind the first and the third covers it: one load for both.
  t.is(await second, imageIdOf(three));
  t.is(await third, imageIdOf(three));
  await loader.wait();
  t.deepEqual(calls, [
    { config: 'base,a', layers: ['a'] },
    { config: 'base,a,b,c', layers: ['b', 'c'] },
  ]);
  t.true(loader.hasLoaded(two));
});

test('a failure is reported by wait, and the layers are sent again next time', async (t) => {
  let fail = true;
  const sent: string[][] = [];
  const loader = new BackgroundLoader(async (job) => {
    sent.push(job.newLayers.map((l) => l.diffId));
    if (fail) throw new Error('daemon gone');
    return imageIdOf(job.config);
  }, new AbortController().signal);
  const config = configWith(['x']);
  const result = await loader.enqueue({ config, ancestors: [], layers: [{ diffId: 'x', path: '/x' }] });
  t.true(result instanceof Error);
  await t.throwsAsync(loader.wait(), { message: 'daemon gone' });
  fail = false;
  await loader.enqueue({
    config: configWith(['x', 'y']),
    ancestors: [],
    layers: [
      { diffId: 'x', path: '/x' },
      { diffId: 'y', path: '/y' },
    ],
  });
  t.deepEqual(sent, [['x'], ['x', 'y']]);
});
