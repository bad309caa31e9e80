// Unit: the image state after a cache hit carries the entry's own layer chain, also when this build
// wrote the earlier layers with other bytes for the same content (two builds at once).
import test from 'ava';
import { emptyImageConfig, type ImageConfig } from '../../engine/image/config.js';
import { withCachedStep, type ImageState } from '../../engine/image/state.js';

const platform = { os: 'linux', architecture: 'amd64' };
const entry = { created_by: 'COPY b /b # buildkit', comment: 'msbuild.dockerfile.v0' };

function configWith(diffIds: string[], history: number): ImageConfig {
  const config = emptyImageConfig(platform);
  config.rootfs = { type: 'layers', diff_ids: diffIds };
  config.history = Array.from({ length: history }, (_, i) => ({
    created_by: `step ${i}`,
    created: new Date(0).toISOString(),
  }));
  return config;
}

test('a hit on top of our own parents adds its layer to our chain', (t) => {
  const state: ImageState = { config: configWith(['sha256:a'], 1), layerImageId: 'sha256:image-a' };
  const hit = { imageId: 'sha256:image-ab', config: configWith(['sha256:a', 'sha256:b'], 2) };
  const next = withCachedStep(state, hit, configWith([], 2), entry);
  t.deepEqual(next.config.rootfs.diff_ids, ['sha256:a', 'sha256:b']);
  t.is(next.layerImageId, 'sha256:image-ab');
});

test('a hit whose parents are other bytes of the same content replaces our chain and drops configs chained on ours', (t) => {
  const ourLayer = { diffId: 'sha256:a-ours', path: '/tmp/never-loaded.tar', size: 1, contentSize: 1 };
  const parent = configWith(['sha256:a-ours'], 1);
  const state: ImageState = { config: parent, unloadedLayers: [ourLayer], pendingConfigs: [parent] };
  const hit = { imageId: 'sha256:image-theirs', config: configWith(['sha256:a-theirs', 'sha256:b'], 2) };
  const next = withCachedStep(state, hit, configWith([], 2), entry);
  t.deepEqual(next.config.rootfs.diff_ids, ['sha256:a-theirs', 'sha256:b'], 'the chain the entry image holds');
  t.is(next.layerImageId, 'sha256:image-theirs');
  t.deepEqual(next.unloadedLayers ?? [], [], 'our own layer is not needed any more');
  t.false(
    (next.pendingConfigs ?? []).some((config) => config.rootfs.diff_ids.includes('sha256:a-ours')),
    'no config to load refers to our unloaded layer',
  );
  t.is(next.parentConfig, undefined);
});
