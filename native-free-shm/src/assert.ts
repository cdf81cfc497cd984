/** Assertions that stay on (TigerBeetle style): cheap checks of arguments and invariants. */
export class ShmAssertionError extends Error {
  override name = 'ShmAssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ShmAssertionError(message);
}
