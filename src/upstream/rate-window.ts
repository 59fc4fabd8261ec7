import { delay } from './delay.js';

/**
 * At most `perSecond` starts in any sliding one-second window. A fixed window (as a plain interval
 * cap gives) lets twice the rate through around a window edge, which is exactly when Elastic
 * Path's own per-second limit would answer 429.
 */
export class RateWindow {
  private readonly starts: number[] = [];

  constructor(private readonly perSecond: number) {}

  /** Resolves when a start is allowed (and records it); false if `signal` ended the wait. */
  async take(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const now = Date.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - 1000) this.starts.shift();
      if (this.starts.length < this.perSecond) {
        this.starts.push(now);
        return true;
      }
      const wait = (this.starts[0] ?? now) + 1000 - now;
      if (!(await delay(wait, signal))) return false;
    }
  }
}
