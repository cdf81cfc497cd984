/**
 * Runs `change` holding a lock word in shared memory (0 free, 1 held): a compare-and-swap,
 * then sleeps of 1 ms on the word until it is free. For short changes of a few numbers,
 * which never throw midway.
 */
export function withLock<T>(word: Int32Array, change: () => T): T {
  while (Atomics.compareExchange(word, 0, 0, 1) !== 0) Atomics.wait(word, 0, 1, 1);
  try {
    return change();
  } finally {
    Atomics.store(word, 0, 0);
    Atomics.notify(word, 0, 1);
  }
}
