// Unit: `--print` writes a bake file in the file's own key names (no-cache, cache-from, …), and
// reading it back resolves to exactly the same targets: msbuild files, compose files, after --set.
import test from 'ava';
import yaml from 'js-yaml';
import { applySet, parseBakeFile, resolveBake } from '../../engine/bake/config.js';
import { printBake } from '../../engine/bake/print.js';

const bake = `groups:
  default:
    targets: [api, web]
targets:
  common:
    context: .
    args: {GO_VERSION: "1.19"}
    labels: {team: core}
    no-cache: true
    pull: never
  api:
    inherits: [common]
    target: api
    tags: [api:dev]
    outputs: [type=tar,dest=api.tar]
    cache-from: [type=local,src=/cache]
    cache-to: type=local,dest=/cache
    platform: linux/amd64
    network: none
  web: {inherits: [common], context: web, dockerfile: web.Dockerfile, tags: "yes"}
`;

function roundTrip(text: string, file: string, sets: string[] = []) {
  const parsed = parseBakeFile(text, file, '/repo');
  for (const set of sets) applySet(parsed, set);
  const first = resolveBake(parsed, []);
  const printed = printBake(first);
  // Read back from anywhere: contexts are printed absolute.
  const again = resolveBake(parseBakeFile(printed, 'printed.yaml', '/elsewhere'), []);
  return { first, printed, again };
}

test('printed keys are the file keys, and the printed file resolves to the same targets', (t) => {
  const { first, printed, again } = roundTrip(bake, 'msbuild.yaml');
  t.deepEqual(again, first);
  const api = (yaml.load(printed) as { targets: Record<string, Record<string, unknown>> }).targets.api;
  t.deepEqual(Object.keys(api), ['context', 'target', 'args', 'labels', 'tags', 'no-cache', 'outputs', 'cache-from', 'cache-to', 'platform', 'network', 'pull']);
  t.notRegex(printed, /noCache|cacheFrom|cacheTo/);
  t.is((yaml.load(printed) as { targets: Record<string, { tags: string[] }> }).targets.web.tags[0], 'yes', 'a string YAML would read as a boolean is quoted');
});

test('round trip after --set, and from a compose file', (t) => {
  const { first, again } = roundTrip(bake, 'msbuild.yaml', ['*.no-cache=false', 'web.args.MODE=prod', 'api.labels.org.opencontainers.image.title=API']);
  t.deepEqual(again, first);
  t.is(first[0].labels['org.opencontainers.image.title'], 'API', 'a label key keeps its dots');
  const compose = 'services:\n  api:\n    image: api:1\n    build:\n      context: ./api\n      args: [A=1]\n      no_cache: true\n      cache_from: [/c]\n  db:\n    image: postgres\n';
  const fromCompose = roundTrip(compose, 'compose.yaml');
  t.deepEqual(fromCompose.again, fromCompose.first);
  t.like(fromCompose.again[0], { name: 'api', context: '/repo/api', noCache: true, tags: ['api:1'], cacheFrom: ['/c'] });
});
