// Cancellation for work that does not stop by itself: the error an aborted operation ends with, and a
// promise raced against a signal, so an interrupted build stops waiting at once instead of when the
// work it no longer needs happens to finish.
import { setMaxListeners } from 'node:events';

/**
 * A controller for a signal every running step listens to (a build's, a scheduler's): dozens wait on
 * it at once, past Node's default of 10, which would print a leak warning amid the build's output.
 */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** The reason `signal` was aborted with, as an Error (what a cancelled operation rejects with). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' && reason !== '' ? reason : 'cancelled');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts. `onAbort` runs then, to
 * destroy what the promise waits on (a stream, a request); a later rejection of `promise` is ignored.
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort?: () => void,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    onAbort?.();
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      promise.catch(() => undefined);
      onAbort?.();
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/** Runs `onAbort` when the signal aborts, until the returned function is called. */
export function onAbort(signal: AbortSignal | undefined, action: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    action();
    return () => undefined;
  }
  signal.addEventListener('abort', action, { once: true });
  return () => signal.removeEventListener('abort', action);
}

/**
 * `work`, until `signal` aborts: then it gets `graceMs` to end by itself (work that sees the abort
 * returns at once), and after that the caller stops waiting for it with the signal's reason: a call
 * that never returns cannot hold a cleanup and an exit.
 */
export function windDown<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let unlink = () => undefined as void;
  const abandoned = new Promise<never>((_, reject) => {
    unlink = onAbort(signal, () => {
      timer = setTimeout(() => reject(abortReason(signal)), graceMs);
    });
  });
  abandoned.catch(() => undefined);
  return Promise.race([work, abandoned]).finally(() => {
    unlink();
    clearTimeout(timer);
  });
}
