#!/usr/bin/env node
// The `msbuild` command: runs the bundled CLI (dist/msbuild.cjs, made by scripts/bundle.mjs) from V8's
// code cache, which saves resolving and compiling some 300 modules at every start; without a bundle,
// or with one older than the compiled modules (tsc ran after it), it runs dist/cli/main.js itself.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

const bundle = join(__dirname, '..', 'msbuild.cjs');

function runBundle(): void {
  const cacheFile = `${bundle}.cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The entry's `#!` line is valid only at the very start of a file.
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  // Only scripts/bundle.mjs asks for the cache to be written (at build time, never when a user runs it).
  if (process.env.MSBUILD_WRITE_CODE_CACHE === cacheFile) {
    process.once('exit', () => {
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  }
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: object,
    filename: string,
    dirname: string,
  ) => void;
  const bundleModule = { exports: {} };
  run(bundleModule.exports, createRequire(bundle), bundleModule, bundle, dirname(bundle));
}

const main = join(__dirname, 'main.js');
const modified = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
if (modified(bundle) >= modified(main)) runBundle();
else void import(pathToFileURL(main).href);
