// Unit: cancellation helpers — a promise raced against a signal rejects with the signal's reason at
// once (and runs the clean-up hook), and is left alone when the signal never aborts.
import test from 'ava';
import { abortReason, onAbort, throwIfAborted, untilAborted } from '../../engine/util/abort.js';

test('untilAborted rejects with the reason as soon as the signal aborts, and runs onAbort', async (t) => {
  const controller = new AbortController();
  let destroyed = false;
  const never = new Promise<number>(() => undefined);
  const raced = untilAborted(never, controller.signal, () => (destroyed = true));
  controller.abort(new Error('interrupted by SIGINT'));
  await t.throwsAsync(raced, { message: 'interrupted by SIGINT' });
  t.true(destroyed);
});

test('untilAborted passes the result (or the error) on when the signal does not abort', async (t) => {
  const controller = new AbortController();
  t.is(await untilAborted(Promise.resolve(7), controller.signal), 7);
  await t.throwsAsync(untilAborted(Promise.reject(new Error('boom')), controller.signal), { message: 'boom' });
  t.is(await untilAborted(Promise.resolve(8), undefined), 8);
});

test('an already aborted signal rejects at once; a late rejection of the work is not unhandled', async (t) => {
  const controller = new AbortController();
  controller.abort('stop');
  const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 10));
  await t.throwsAsync(untilAborted(late, controller.signal), { message: 'stop' });
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.throws(() => throwIfAborted(controller.signal), { message: 'stop' });
  t.is(abortReason(new AbortController().signal).message, 'cancelled');
});

test('onAbort runs once on abort, and not after being released', (t) => {
  const controller = new AbortController();
  let runs = 0;
  const release = onAbort(controller.signal, () => runs++);
  release();
  controller.abort();
  t.is(runs, 0);
  onAbort(controller.signal, () => runs++);
  t.is(runs, 1, 'an aborted signal runs the action at once');
});
