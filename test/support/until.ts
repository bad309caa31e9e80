// Waiting in tests for something another process does: poll a condition, with a bound.

/** Polls `condition` every 100 ms for up to `ms`; true once it holds, false when time ran out. */
export async function until(condition: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
