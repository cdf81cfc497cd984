// Time behind an interface, so that the same engine runs on real timers or inside the
// deterministic simulator (test/sim), which advances a virtual clock.

export type TimerHandle = unknown;

export interface SyncTimers {
  /** Monotonic milliseconds, for timeouts and round-trip times. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for record expiry and the HLC. */
  wallMs(): number;
  /** Calls `callback` once after `delayMs`. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Calls `callback` soon, after pending I/O: how long work yields between bounded steps. */
  defer(callback: () => void): TimerHandle;
  cancelDefer(handle: TimerHandle): void;
}

export const realTimers: SyncTimers = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  defer: (callback) => setImmediate(callback),
  cancelDefer: (handle) => clearImmediate(handle as ReturnType<typeof setImmediate>),
};
