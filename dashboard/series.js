// @ts-check
// What the page remembers between polls: values over the last minutes, and rates per
// second made from the API's counters.

/** How far back the charts reach. */
const HISTORY_MS = 5 * 60_000;

/** Values sampled over time, the oldest dropped once they are older than HISTORY_MS. */
class Series {
  constructor() {
    /** @type {number[]} */
    this.times = [];
    /** @type {number[]} */
    this.values = [];
  }

  /**
   * @param {number} timeMs
   * @param {number} value
   */
  push(timeMs, value) {
    this.times.push(timeMs);
    this.values.push(value);
    let drop = 0;
    while (drop < this.times.length && this.times[drop] < timeMs - HISTORY_MS) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  /** The last value, or null before the first. */
  last() {
    return this.values.length === 0 ? null : this.values[this.values.length - 1];
  }

  max() {
    return this.values.reduce((a, b) => Math.max(a, b), 0);
  }
}

/**
 * Turns a counter into a rate per second between two readings. A counter that went back
 * (the node restarted) starts over: that interval has no rate.
 */
class CounterRate {
  constructor() {
    /** @type {{timeMs: number, value: number} | null} */
    this.previous = null;
  }

  /**
   * The rate since the previous reading, or null for the first one and after a reset.
   * @param {number} timeMs
   * @param {number} value
   * @returns {number | null}
   */
  next(timeMs, value) {
    const previous = this.previous;
    this.previous = { timeMs, value };
    if (previous === null || value < previous.value || timeMs <= previous.timeMs) return null;
    return (value - previous.value) / ((timeMs - previous.timeMs) / 1000);
  }
}

/**
 * Series kept by name, made on first use; names not seen in a poll can be forgotten.
 * @template T
 */
class Keyed {
  /** @param {() => T} make */
  constructor(make) {
    this.make = make;
    /** @type {Map<string, T>} */
    this.items = new Map();
  }

  /** @param {string} key */
  get(key) {
    let item = this.items.get(key);
    if (item === undefined) {
      item = this.make();
      this.items.set(key, item);
    }
    return item;
  }

  /** @param {Set<string>} keys the ones to keep */
  keepOnly(keys) {
    for (const key of [...this.items.keys()]) if (!keys.has(key)) this.items.delete(key);
  }
}
