// Unit (no Docker needed): the bake examples of buildx's reference (fixtures/bake/*, each with the
// page it comes from) load, and `msbuild bake --print` prints what buildx documents for the same file.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { msbuild } from '../support/cli.js';

const root = fileURLToPath(new URL('../../../fixtures/bake', import.meta.url));
const noDaemon = { DOCKER_HOST: 'unix:///nonexistent.sock' };

for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  const expected = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as {
    source: string;
    args: string[];
    print: unknown;
  };
  test(`${name}: ${expected.source}`, async (t) => {
    const result = await msbuild(['bake', '--print', ...expected.args], { cwd: dir, env: noDaemon });
    t.is(result.code, 0, result.stderr);
    t.deepEqual(JSON.parse(result.stdout), expected.print);
    t.regex(result.stdout, /^\{\n {2}"(group|target)": \{\n/, 'indented by two spaces, as buildx prints it');
  });
}

test("the JSON and HCL forms of the reference's variable example print the same", async (t) => {
  const hcl =
    'variable "TAG" {\n  default = "latest"\n}\n\ngroup "default" {\n  targets = ["webapp"]\n}\n\ntarget "webapp" {\n  dockerfile = "Dockerfile"\n  tags = ["docker.io/username/webapp:${TAG}"]\n}\n';
  const fromHcl = await msbuild(['bake', '--print', '-f', '-'], {
    cwd: join(root, 'json-variable'),
    input: hcl,
    env: noDaemon,
  });
  const fromJson = await msbuild(['bake', '--print'], { cwd: join(root, 'json-variable'), env: noDaemon });
  t.is(fromHcl.code, 0, fromHcl.stderr);
  t.is(fromHcl.stdout, fromJson.stdout);
  const overridden = await msbuild(['bake', '--print'], {
    cwd: join(root, 'json-variable'),
    env: { ...noDaemon, TAG: 'dev' },
  });
  t.regex(overridden.stdout, /webapp:dev/, 'an environment variable overrides the default');
});
