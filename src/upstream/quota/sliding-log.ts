/**
 * This process's own starts in the last second, oldest first, on `performance.now()`'s clock (a
 * wall-clock step can neither stall calls nor let a burst through). It answers how long until
 * one more start fits under a limit that may change from call to call: the local share follows
 * the number of replicas seen alive.
 */
export class SlidingLog {
  private readonly starts: Float64Array;
  private oldest = 0;
  private count = 0;

  /** `capacity`: the largest limit ever asked about. */
  constructor(private readonly capacity: number) {
    this.starts = new Float64Array(capacity);
  }

  /** Milliseconds until one more start fits under `limit` (0: now). */
  waitFor(now: number, limit: number): number {
    this.expire(now);
    if (this.count < limit) return 0;
    // The start that has to leave the window for one more to fit.
    const leaving = this.starts[(this.oldest + this.count - limit) % this.capacity] ?? now;
    return Math.max(1, leaving + 1000 - now);
  }

  record(now: number): void {
    this.expire(now);
    if (this.count === this.capacity) {
      this.oldest = (this.oldest + 1) % this.capacity;
      this.count -= 1;
    }
    this.starts[(this.oldest + this.count) % this.capacity] = now;
    this.count += 1;
  }

  private expire(now: number): void {
    // A start exactly one second ago no longer counts, as in Elastic Path's own window.
    while (this.count > 0 && (this.starts[this.oldest] ?? 0) <= now - 1000) {
      this.oldest = (this.oldest + 1) % this.capacity;
      this.count -= 1;
    }
  }
}
