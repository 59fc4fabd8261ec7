/**
 * A retry budget: retries may add at most `percent`% to the calls made, plus a small reserve so
 * that a quiet gateway can still retry its first few failures. When Elastic Path struggles,
 * retries stop long before they could multiply its load.
 */
export class RetryBudget {
  private tokens: number;

  constructor(
    private readonly percent: number,
    /** Retries banked at most: in any stretch of N calls, at most N × percent / 100 + reserve retries. */
    private readonly reserve = 10,
  ) {
    this.tokens = reserve;
  }

  /** Every call earns a fraction of a retry. */
  recordCall(): void {
    this.tokens = Math.min(this.reserve, this.tokens + this.percent / 100);
  }

  /** Spends one retry if the budget has one. */
  tryRetry(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
