// `msbuild --version`: the version package.json declares, found beside the running launcher
// (dist/cli/launcher.cjs, also when npm links it into a bin directory).
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageVersion(entry: string | undefined = process.argv[1]): string {
  if (entry === undefined) return 'unknown';
  try {
    const root = join(dirname(realpathSync(entry)), '..', '..');
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
