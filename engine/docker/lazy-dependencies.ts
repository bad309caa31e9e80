// Defers two of dockerode's dependencies until they are used: gRPC (BuildKit sessions, which msbuild
// never opens) and ssh2 (only for ssh:// DOCKER_HOSTs). Loading them eagerly costs ~80 ms, a third
// of a fully cached build. Must be imported before dockerode.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

type ModuleFunction = (...args: unknown[]) => unknown;

/** Puts a stand-in for the module `request` (a function, required by the file `from`) in require's cache. */
function deferFunctionModule(from: string, request: string): void {
  const path = require.resolve(request, { paths: [dirname(from)] });
  if (require.cache[path]) return;
  let real: ModuleFunction | undefined;
  const standIn = function (this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete require.cache[path];
      real = require(path) as ModuleFunction;
    }
    return real.apply(this, args);
  };
  require.cache[path] = { id: path, filename: path, loaded: true, exports: standIn } as unknown as NodeJS.Module;
}

try {
  const dockerode = require.resolve('dockerode');
  deferFunctionModule(dockerode, './session');
  deferFunctionModule(require.resolve('docker-modem', { paths: [dirname(dockerode)] }), './ssh');
} catch {
  // Another dockerode layout: everything loads as usual.
}
