/**
 * At most `slots` calls in flight; the rest wait in order. Cheaper per call than a general task
 * queue: a call that finds a free slot costs a counter, and only a call that has to wait registers
 * an abort listener, which it drops again as soon as it gets its slot.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<{ resume: (granted: boolean) => void }> = [];

  constructor(private readonly slots: number) {}

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True when a call made now would have to wait. */
  get full(): boolean {
    return this.active >= this.slots;
  }

  /** Resolves true with a slot (give it back with `release`), or false when `signal` ended the wait. */
  acquire(signal?: AbortSignal): boolean | Promise<boolean> {
    if (this.active < this.slots) {
      this.active += 1;
      return true;
    }
    if (signal?.aborted) return false;
    return new Promise<boolean>((resolve) => {
      const waiter = {
        resume: (granted: boolean) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(granted);
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        waiter.resume(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Hands the slot to the next waiting call, or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next.resume(true);
    else this.active -= 1;
  }

  /** Turns every waiting call away (on close). */
  clear(): void {
    for (const waiter of this.waiting.splice(0)) waiter.resume(false);
  }
}
