import { delay } from './delay.js';

/**
 * At most `perSecond` starts in any sliding one-second window. A fixed window (as a plain interval
 * cap gives) lets twice the rate through around a window edge, which is exactly when Elastic
 * Path's own per-second limit would answer 429.
 *
 * The starts of the last second sit in a ring, oldest first; time is monotonic
 * (`performance.now()`), so a wall-clock step can neither stall calls nor let a burst through.
 */
export class RateWindow {
  private readonly starts: Float64Array;
  private oldest = 0;
  private count = 0;

  constructor(private readonly perSecond: number) {
    this.starts = new Float64Array(perSecond);
  }

  /** Resolves when a start is allowed (and records it); false if `signal` ended the wait. */
  async take(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const now = performance.now();
      while (this.count > 0 && (this.starts[this.oldest] ?? 0) <= now - 1000) {
        this.oldest = (this.oldest + 1) % this.perSecond;
        this.count -= 1;
      }
      if (this.count < this.perSecond) {
        this.starts[(this.oldest + this.count) % this.perSecond] = now;
        this.count += 1;
        return true;
      }
      const wait = (this.starts[this.oldest] ?? now) + 1000 - now;
      if (!(await delay(wait, signal))) return false;
    }
  }
}
