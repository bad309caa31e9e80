// Unit: the liveness watchdog fails a build after a few pings in a row go unanswered (a frozen
// daemon) or are refused, and stays quiet while the daemon answers, however slowly the build goes.
import test from 'ava';
import type Docker from 'dockerode';
import { DaemonWatchdog, patientDeadline } from '../../engine/docker/watchdog.js';

const timing = { intervalMs: 20, timeoutMs: 30, misses: 3 };

/** A stand-in daemon whose pings answer, hang (honouring the request's abort) or fail. */
function fakeDocker(behaviour: () => 'answer' | 'hang' | 'refuse'): { docker: Docker; pings: () => number } {
  let pings = 0;
  const docker = {
    ping: (options: { abortSignal?: AbortSignal }) => {
      pings++;
      const mode = behaviour();
      if (mode === 'answer') return Promise.resolve('OK');
      if (mode === 'refuse')
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return new Promise((_, reject) =>
        options.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    },
  } as unknown as Docker;
  return { docker, pings: () => pings };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a daemon that stops answering is declared dead after the misses, once', async (t) => {
  let frozen = false;
  const { docker } = fakeDocker(() => (frozen ? 'hang' : 'answer'));
  const deaths: string[] = [];
  const watchdog = new DaemonWatchdog(docker, (error) => deaths.push(error.message), timing);
  watchdog.start();
  await sleep(120);
  t.deepEqual(deaths, [], 'answering: alive');
  frozen = true;
  await sleep(400);
  watchdog.stop();
  t.is(deaths.length, 1);
  t.regex(deaths[0], /stopped answering/);
  t.is(watchdog.dead?.name, 'DaemonError');
});

test('refused pings count as misses; one answer resets the count', async (t) => {
  let calls = 0;
  const { docker } = fakeDocker(() => (++calls % 2 === 0 ? 'answer' : 'refuse'));
  let dead = false;
  const watchdog = new DaemonWatchdog(docker, () => (dead = true), timing);
  watchdog.start();
  await sleep(300);
  t.false(dead, 'never three misses in a row');
  watchdog.stop();
  const gone = fakeDocker(() => 'refuse');
  const second = new DaemonWatchdog(gone.docker, () => (dead = true), timing);
  second.start();
  await sleep(300);
  second.stop();
  t.true(dead);
});

test('stop() ends the pings', async (t) => {
  const { docker, pings } = fakeDocker(() => 'answer');
  const watchdog = new DaemonWatchdog(docker, () => undefined, timing);
  watchdog.start();
  await sleep(100);
  watchdog.stop();
  const seen = pings();
  await sleep(100);
  t.is(pings(), seen);
});

test('a cleanup deadline ends at its budget for a daemon that stops answering', async (t) => {
  const { docker } = fakeDocker(() => 'hang');
  const started = Date.now();
  const deadline = patientDeadline(docker, { budgetMs: 60, maxMs: 5000, pingMs: 40 });
  await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
  t.true(Date.now() - started < 1000, `${Date.now() - started} ms`);
});

test('a cleanup deadline waits past its budget while the daemon answers, up to its maximum', async (t) => {
  const { docker, pings } = fakeDocker(() => 'answer');
  const started = Date.now();
  const deadline = patientDeadline(docker, { budgetMs: 40, maxMs: 300, pingMs: 30 });
  await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
  t.true(Date.now() - started >= 300);
  t.true(pings() >= 2);
});

test('a disposed cleanup deadline never fires', async (t) => {
  const { docker } = fakeDocker(() => 'hang');
  const deadline = patientDeadline(docker, { budgetMs: 20, maxMs: 100 });
  deadline.dispose();
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.false(deadline.signal.aborted);
});
