/**
 * The hard per-request limit on Elastic Path calls, the backstop behind the estimate: every call
 * of every operation in one HTTP request (a batch shares one) spends from it, and once it is spent
 * further calls fail with UPSTREAM_BUDGET_EXCEEDED instead of going out.
 */
import { budgetExceeded } from '../domain/errors.js';

export class CallBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Calls still allowed. */
  get left(): number {
    return this.limit - this.used;
  }

  /** Takes one call from the budget, or throws when none is left. */
  spend(): void {
    if (this.used >= this.limit) throw budgetExceeded(this.limit);
    this.used += 1;
  }
}
