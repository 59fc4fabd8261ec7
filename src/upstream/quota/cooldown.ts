/**
 * The pause after Elastic Path answers 429. The store is over its limit (the storefront counts
 * too, and a 429 carries no `Retry-After`), so no call starts for a while; the pause doubles when
 * a 429 follows soon after the last pause ended, and a 429 during a pause (a call that was already
 * on its way) starts nothing new. The same rule runs in Redis for the fleet (`redis-quota.ts`).
 */
export const COOLDOWN_BASE_MS = 500;
export const COOLDOWN_MAX_MS = 8_000;
/** A 429 this long after a pause ended starts again from the base. */
export const COOLDOWN_MEMORY_MS = 5_000;

export class Cooldown {
  private until = 0;
  private level = 0;

  /** Milliseconds left of the current pause (0: none). */
  remaining(now: number): number {
    return Math.max(0, this.until - now);
  }

  /** Starts a pause unless one is on; returns its length, or 0 when one was already on. */
  start(now: number): number {
    if (now < this.until) return 0;
    this.level = now - this.until < COOLDOWN_MEMORY_MS ? this.level + 1 : 1;
    const ms = Math.min(COOLDOWN_MAX_MS, COOLDOWN_BASE_MS * 2 ** (this.level - 1));
    this.until = now + ms;
    return ms;
  }
}
