// Integration: the live TTY view on a real terminal. A build runs in a tmux pane of fixed size; the
// screen is read while a step runs (live timer, output tail) and after the build (every step
// collapsed, the summary, nothing left of earlier frames).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../support/cli.js';
import { makeContext, removeDir, requireDaemon, runCommand } from '../support/docker.js';

test.before(requireDaemon);

const socket = `msbuild-test-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => runCommand('tmux', ['-L', socket, ...args]);

test.after.always(async () => {
  await tmux('kill-server');
});

async function screen(): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', 'build')).stdout;
}

async function waitForScreen(predicate: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screen();
    if (predicate(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the screen never showed what was expected; last screen:\n${text}`);
}

test('a build on an 80x24 terminal: live timer and output tail while running, a clean collapsed frame at the end', async (t) => {
  const context = await makeContext({
    Dockerfile:
      "FROM busybox AS base\nRUN printf 'tail %s\\n' one two && sleep 3\nFROM scratch\nCOPY --from=base /bin/busybox /busybox\n",
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-tty-'));
  try {
    const command = [
      process.execPath,
      cliPath,
      'build',
      '--network',
      'none',
      '--pull',
      'never',
      '--no-cache',
      '--cache-dir',
      cacheDir,
      context,
      '; echo EXIT=$?',
    ]
      .map((part) => (part.startsWith(';') ? part : `'${part}'`))
      .join(' ');
    const started = await tmux(
      'new-session',
      '-d',
      '-s',
      'build',
      '-x',
      '80',
      '-y',
      '24',
      '-e',
      'TERM=xterm-256color',
      command + '; sleep 60',
    );
    t.is(started.code, 0, started.stderr);

    const running = await waitForScreen((text) => text.includes('tail two'), 20_000);
    t.regex(running, /\[\+\] Building \d+\.\ds/);
    t.regex(running, /\[base 2\/2\] RUN printf.*\d+\.\ds/);
    t.regex(running, /tail one\n.*tail two/);

    const finished = await waitForScreen((text) => text.includes('EXIT='), 30_000);
    t.regex(finished, /EXIT=0/);
    t.regex(finished, /\[\+\] Building \d+\.\ds \(\d+\/\d+\) FINISHED/);
    t.regex(finished, /\[base 2\/2\] RUN printf.*DONE \d+\.\ds/);
    t.regex(finished, /built sha256:[0-9a-f]{64}/);
    t.regex(finished, /steps: 2 run, 0 cached/);
    // One frame only: the live frames were redrawn in place, not appended.
    t.is(finished.split('[+] Building').length - 1, 1);
    t.false(finished.includes('tail two'), 'the output tail of a finished step is collapsed');
    for (const line of finished.split('\n')) t.true(line.length <= 80);
  } finally {
    await removeDir(context);
    await removeDir(cacheDir);
  }
});
