// Unit: `--set` values are checked as the file's are: booleans, networks and pull policies by their
// values, sub-keys only for args and labels.
import test from 'ava';
import { applySet, BakeError, parseBakeFile, resolveBake } from '../../engine/bake/config.js';

const file = () => parseBakeFile('targets:\n  api: {context: .}\n  web: {context: web}\n', 'm.yaml', '/r');

test('typed values', (t) => {
  const bake = file();
  applySet(bake, 'api.no-cache=true');
  applySet(bake, 'web.no-cache=0');
  applySet(bake, '*.network=none');
  applySet(bake, 'api.pull=never');
  applySet(bake, 'web.cache-from=a,b');
  const [api, web] = resolveBake(bake, []);
  t.like(api, { noCache: true, network: 'none', pull: 'never' });
  t.like(web, { noCache: false, network: 'none', cacheFrom: ['a', 'b'] });
});

test('wrong values are errors naming the assignment', (t) => {
  const bake = file();
  t.throws(() => applySet(bake, 'api.no-cache=yes'), { instanceOf: BakeError, message: '--set api.no-cache=yes: "no-cache" must be true or false' });
  t.throws(() => applySet(bake, 'api.network=bridge'), { message: '--set api.network=bridge: "network" must be one of default, none, host' });
  t.throws(() => applySet(bake, 'api.pull=sometimes'), { message: '--set api.pull=sometimes: "pull" must be one of always, missing, never' });
  t.throws(() => applySet(bake, 'api.args=x'), { message: '--set api.args=x: use api.args.NAME=value' });
  t.throws(() => applySet(bake, 'api.context.x=y'), { message: '--set api.context.x=y: "context" has no sub-keys' });
  t.throws(() => applySet(bake, 'api'), { message: /expected target\.key=value/ });
});
