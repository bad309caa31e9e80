// Output to a reader that went away (`msbuild build … 2>&1 | head`): EPIPE on stdout or stderr is not
// a crash. Writes to the closed stream are dropped, and whoever listens (a running build) is told once,
// so it can stop and clean up (containers, temp dirs) instead of dying mid-build with exit 1.
const listeners = new Set<() => void>();
let closed = false;

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // Anything but a gone reader is what it was: uncaught.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (closed) return;
    closed = true;
    for (const listener of listeners) listener();
  });
}

/** Calls `listener` once when stdout or stderr is found closed; returns the unsubscribe. */
export function onOutputClosed(listener: () => void): () => void {
  if (closed) queueMicrotask(listener);
  else listeners.add(listener);
  return () => listeners.delete(listener);
}
