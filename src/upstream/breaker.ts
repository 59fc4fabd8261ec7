/**
 * The upstream circuit breaker. It opens on the *rate* of outcomes that say Elastic Path itself is
 * unwell (connection failures, timeouts, 502/503/504) over a sliding window holding at least a
 * minimum number of calls, so one account answering 500, or one caller's slow requests, cannot
 * open it for everyone. After the cooldown exactly one call probes; calls arriving meanwhile fail
 * fast, and only a real answer decides: a probe whose caller went away proves nothing.
 *
 * Written here rather than taken from cockatiel: its half-open state holds every other call on the
 * probe (past their deadlines and the queue limit), counts an aborted probe as a success, and reads
 * the wall clock. Time here is monotonic (`performance.now()`), so a clock step changes nothing.
 */
export interface BreakerSettings {
  /** Share of calls in the window, in percent, that must be unwell to open. */
  failurePercent: number;
  /** Calls the window must hold before it may open. */
  minCalls: number;
  windowMs: number;
  /** How long it stays open before letting one probe through. */
  cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What a call came to, as far as the breaker is concerned. */
export type BreakerOutcome =
  /** Elastic Path answered (any status but 502/503/504): it is up. */
  | 'healthy'
  /** A connection failure, a timeout, or 502/503/504. */
  | 'unwell'
  /** No verdict: the caller went away, or the gateway refused the call itself. */
  | 'void';

/** A call the breaker let through; report its outcome exactly once. */
export type Admission = 'call' | 'probe';

const BUCKETS = 10;

export class CircuitBreaker {
  private readonly bucketMs: number;
  private readonly bucketIds = new Array<number>(BUCKETS).fill(-1);
  private readonly totals = new Array<number>(BUCKETS).fill(0);
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private openedAt = 0;
  private opened = false;
  private probing = false;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.bucketMs = Math.max(1, settings.windowMs / BUCKETS);
  }

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.probing || this.now() - this.openedAt >= this.settings.cooldownMs ? 'half-open' : 'open';
  }

  /** `false` while open (or while another call probes); otherwise how the call goes. */
  admit(): Admission | false {
    if (!this.opened) return 'call';
    if (this.probing || this.now() - this.openedAt < this.settings.cooldownMs) return false;
    this.probing = true;
    return 'probe';
  }

  record(admission: Admission, outcome: BreakerOutcome): void {
    if (admission === 'probe') {
      this.probing = false;
      if (outcome === 'healthy') this.close();
      else if (outcome === 'unwell') this.openedAt = this.now();
      return;
    }
    if (outcome === 'void' || this.opened) return;
    const bucket = this.bucket();
    this.totals[bucket] = (this.totals[bucket] ?? 0) + 1;
    if (outcome === 'unwell') {
      this.failures[bucket] = (this.failures[bucket] ?? 0) + 1;
      this.openIfUnwell();
    }
  }

  private openIfUnwell(): void {
    const oldest = Math.floor(this.now() / this.bucketMs) - BUCKETS + 1;
    let total = 0;
    let failed = 0;
    for (let index = 0; index < BUCKETS; index += 1) {
      if ((this.bucketIds[index] ?? -1) < oldest) continue;
      total += this.totals[index] ?? 0;
      failed += this.failures[index] ?? 0;
    }
    if (total >= this.settings.minCalls && failed * 100 >= this.settings.failurePercent * total) {
      this.opened = true;
      this.openedAt = this.now();
    }
  }

  private close(): void {
    this.opened = false;
    this.bucketIds.fill(-1);
    this.totals.fill(0);
    this.failures.fill(0);
  }

  /** The slot of the current bucket, emptied if it last held an older one. */
  private bucket(): number {
    const id = Math.floor(this.now() / this.bucketMs);
    const index = id % BUCKETS;
    if (this.bucketIds[index] !== id) {
      this.bucketIds[index] = id;
      this.totals[index] = 0;
      this.failures[index] = 0;
    }
    return index;
  }
}
