/**
 * Milliseconds since the epoch with sub-millisecond resolution, like `Date.now()` but not rounded down to the
 * millisecond: the latency benches time paths of a few milliseconds from one process, where a whole-millisecond
 * clock moves a 2 ms baseline (and every ratio to it) by up to half.
 */
export const preciseNow = (): number => performance.timeOrigin + performance.now();
