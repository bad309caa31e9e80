#!/usr/bin/env node
// Runs the ava suites (unit; integration once per worker: MSBUILD_WORKER=docker, then oci) with the
// TAP reporter, echoes their output, and ends with the totals alone on the last line: `N passed, N failed`.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const which = process.argv[2] ?? 'all';
const extra = process.argv.slice(3);
const suites = {
  unit: {
    files: ['test/**/*.test.ts', '!test/**/*.int.test.ts'],
    match: (f) => f.endsWith('.test.ts') && !f.endsWith('.int.test.ts'),
    concurrency: '4',
  },
  // One integration file at a time (tests inside a file still run at once): two files' builds
  // removing containers together can hit Engine 20.10.24's sandbox deadlock (moby/moby#46661).
  'integration-docker': {
    files: ['test/**/*.int.test.ts'],
    match: (f) => f.endsWith('.int.test.ts'),
    concurrency: '1',
    env: { MSBUILD_WORKER: 'docker' },
  },
  // The same integration tests again on the OCI worker (runc on msbuild's snapshots), but for the
  // files that build on both workers themselves (the differential suite, the OCI worker's own).
  'integration-oci': {
    files: ['test/**/*.int.test.ts', '!test/differential/**', '!test/oci/**'],
    match: (f) => f.endsWith('.int.test.ts') && !f.startsWith('test/differential/') && !f.startsWith('test/oci/'),
    concurrency: '1',
    env: { MSBUILD_WORKER: 'oci' },
  },
};
// `integration` is every integration test on both workers.
const groups = {
  all: ['unit', 'integration-docker', 'integration-oci'],
  integration: ['integration-docker', 'integration-oci'],
};
const selected = groups[which] ?? [which];
let passed = 0;
let failed = 0;
let crashed = false;
for (const name of selected) {
  const suite = suites[name];
  if (!suite) {
    console.error(
      `unknown suite ${name}: use unit, integration (both workers), integration-docker, integration-oci or all`,
    );
    process.exit(2);
  }
  const matching = filesUnder('test').filter(suite.match);
  if (matching.length === 0) {
    console.log(`# ${name}: no test files`);
    continue;
  }
  console.log(`# ${name} tests`);
  // The images integration tests build are theirs to remove: left behind, runs fill the disk.
  const integration = name.startsWith('integration');
  const imagesBefore = integration ? imageIds() : undefined;
  // A private dockerd started with `--bridge none` deletes the host's docker0: the run must not.
  const bridgeBefore = integration && hasDocker0();
  const args = ['ava', '--tap', '--concurrency', suite.concurrency, ...suite.files, ...extra];
  const result = await new Promise((resolve) => {
    const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...suite.env } });
    let pass = 0;
    let fail = 0;
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^# (pass|fail) +(\d+)/.exec(line);
        if (m) m[1] === 'pass' ? (pass = Number(m[2])) : (fail = Number(m[2]));
      }
    });
    child.on('close', (code) => resolve({ pass, fail, code }));
  });
  if (imagesBefore) console.log(`# removed ${removeImagesSince(imagesBefore)} image(s) the integration tests made`);
  if (bridgeBefore && !hasDocker0()) {
    failed += 1;
    console.log(
      "# the host's docker0 bridge is gone after the integration tests (a private dockerd without a bridge of its own deletes it); counted as one failure",
    );
  }
  passed += result.pass;
  failed += result.fail;
  // A crash (uncaught error, timeout of the whole run) with no failed test still fails the run.
  if (result.code !== 0 && result.fail === 0) {
    crashed = true;
    failed += 1;
    console.log(
      `# ${name}: ava exited with code ${result.code} without reporting a failed test; counted as one failure`,
    );
  }
}
console.log(`${passed} passed, ${failed} failed`);

/** IDs of the images on the daemon (all, or those `filters` select); undefined when it cannot be asked (then nothing is removed). */
function imageIds(filters = []) {
  try {
    return new Set(
      execFileSync('/usr/bin/docker', ['images', '--all', '--quiet', '--no-trunc', ...filters], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean),
    );
  } catch {
    return undefined;
  }
}

/**
 * Removes the images that appeared since `before`, except fixture base images (tagged, with the label
 * io.msbuild.fixture), which another process may have built meanwhile. Images built FROM a fixture
 * inherit its label: untagged, they are the tests' leftovers and go too. Children go first, so it
 * repeats while it makes progress.
 */
function removeImagesSince(before) {
  let removed = 0;
  const after = imageIds();
  if (!after) return 0;
  const fixtures = imageIds(['--filter', 'label=io.msbuild.fixture', '--filter', 'dangling=false']) ?? after;
  for (let left = [...after].filter((id) => !before.has(id) && !fixtures.has(id)); left.length > 0;) {
    try {
      execFileSync('/usr/bin/docker', ['rmi', '--force', ...left], { stdio: 'ignore' });
    } catch {
      // Some had children still: the next round gets them.
    }
    const now = imageIds();
    if (!now) break;
    const still = left.filter((id) => now.has(id));
    removed += left.length - still.length;
    if (still.length === left.length) break;
    left = still;
  }
  return removed;
}

/** True when the host has the docker0 bridge the system daemon's bridge network uses. */
function hasDocker0() {
  try {
    execFileSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
process.exit(failed > 0 || crashed ? 1 : 0);
