#!/usr/bin/env node
// The last step of `make build`: the compiled CLI as one CommonJS file (dist/msbuild.cjs) with a V8
// code cache beside it (dist/msbuild.cjs.cache), which the `msbuild` launcher runs. A command then
// starts without resolving, reading and compiling some 300 modules: half of a fully cached build.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTrainingDaemon } from './code-cache-daemon.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/msbuild.cjs');
const cache = `${bundle}.cache`;

/**
 * dockerode's BuildKit session (gRPC) and docker-modem's ssh transport are needed only for ssh://
 * hosts and sessions msbuild never opens: they stay out of the bundle and load on first use.
 */
const deferred = {
  name: 'deferred-dependencies',
  setup(build) {
    const modules = { 'dockerode/lib': './session', 'docker-modem/lib': './ssh' };
    build.onResolve({ filter: /^\.\/(session|ssh)$/ }, (args) => {
      const owner = Object.keys(modules).find(
        (dir) => args.importer.includes(`/node_modules/${dir}/`) && modules[dir] === args.path,
      );
      return owner ? { path: `${owner}/${args.path.slice(2)}`, namespace: 'deferred' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      contents: `let real; module.exports = function (...args) { real ??= require(${JSON.stringify(args.path)}); return real.apply(this, args); };`,
      loader: 'js',
    }));
    // The ESM build defers the same two modules through require's cache; the bundle has no use for it.
    build.onLoad({ filter: /lazy-dependencies\.js$/ }, () => ({ contents: '', loader: 'js' }));
    // docker-modem formats every request with util.inspect (depth: null) for a debug log that is off.
    build.onLoad({ filter: /docker-modem\/lib\/modem\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      const patched = text.replace(
        "debug('Sending: %s', util.inspect(",
        "debug.enabled && debug('Sending: %s', util.inspect(",
      );
      if (patched === text)
        throw new Error('docker-modem changed: its debug call was not found; update scripts/bundle.mjs');
      return { contents: patched, loader: 'js' };
    });
  },
};

await esbuild.build({
  entryPoints: [join(root, 'dist/cli/main.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // A native addon that ssh2 loads when present: never bundled.
  external: ['cpu-features', 'dockerode/lib/session', 'docker-modem/lib/ssh'],
  plugins: [deferred],
  // Modules that find files beside themselves (the OCI helper) see the bundle's own URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// The code cache: V8's compiled code of the functions a few ordinary commands run, and a build run cold
// and then fully cached against a stand-in daemon (no daemon needed, none touched): without the build
// path in the cache, a cached build spends ~10 ms compiling it.
rmSync(cache, { force: true });
const launcher = join(root, 'dist/cli/launcher.cjs');
const example = join(root, 'fixtures/apps/go-client-server');

function train(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], {
      env: { ...process.env, ...env, MSBUILD_WRITE_CODE_CACHE: cache },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`training run \`msbuild ${args.join(' ')}\` failed:\n${stderr}`)),
    );
  });
}

for (const args of [
  ['--help'],
  ['build', '--help'],
  ['plan', '--format', 'json', example],
  ['plan', example],
  ['debug', 'ast', example],
])
  await train(args);

const work = mkdtempSync(join(tmpdir(), 'msbuild-code-cache-'));
try {
  const context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY a /a\nENV A=1\nCOPY b/ /b/\n');
  writeFileSync(join(context, 'a'), 'a\n');
  mkdirSync(join(context, 'b'));
  writeFileSync(join(context, 'b', 'c'), 'c\n');
  const socket = join(work, 'docker.sock');
  const stop = await startTrainingDaemon(socket);
  try {
    const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(work, 'docker-config') };
    const build = ['build', '--cache-dir', join(work, 'cache'), '-t', 'code-cache:training', context];
    await train([...build.slice(0, 1), '--progress', 'plain', ...build.slice(1)], env);
    await train([...build.slice(0, 1), '--progress', 'plain', ...build.slice(1)], env);
    await train([...build.slice(0, 1), '-q', ...build.slice(1)], env);
  } finally {
    await stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
