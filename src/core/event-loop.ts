// Long compute loops on wasm/cpu run step after step on already-settled promises (microtasks), so Node's event
// loop never turns: SIGTERM/SIGINT handlers, a closed IPC channel and timers wait until the next real I/O, which
// in training is the end of an epoch (minutes at 256²). A stage then ignores `pipe run` being stopped. Yielding
// a macrotask turn every few hundred milliseconds lets those run, at a cost of well under 1 % of a step.

/** A function to await inside a hot loop: it yields one event-loop turn once `everyMs` have passed. */
export function eventLoopYielder(everyMs = 200): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}
