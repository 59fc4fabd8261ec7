/** The retry budget: retries at most a share of calls, plus a reserve. */
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/upstream/retry-budget.js';

const spend = (budget: RetryBudget, attempts: number) => Array.from({ length: attempts }, () => budget.tryRetry()).filter(Boolean).length;

describe('RetryBudget', () => {
  it('starts with its reserve of retries, and no more', () => {
    expect(spend(new RetryBudget(10), 20)).toBe(10);
    expect(spend(new RetryBudget(10, 3), 20)).toBe(3);
  });

  it('earns percent / 100 of a retry per call once the reserve is spent', () => {
    const budget = new RetryBudget(10, 10);
    spend(budget, 10);
    for (let i = 0; i < 9; i += 1) budget.recordCall();
    expect(budget.tryRetry()).toBe(false);
    budget.recordCall();
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it('banks no more than the reserve, however many calls go by', () => {
    const budget = new RetryBudget(50, 4);
    for (let i = 0; i < 1000; i += 1) budget.recordCall();
    expect(spend(budget, 100)).toBe(4);
  });

  it('allows over N calls at most N × percent / 100 + reserve retries', () => {
    const budget = new RetryBudget(20);
    let retries = 0;
    for (let i = 0; i < 500; i += 1) {
      budget.recordCall();
      if (budget.tryRetry()) retries += 1;
    }
    expect(retries).toBeLessThanOrEqual(500 * 0.2 + 10);
    expect(retries).toBeGreaterThanOrEqual(500 * 0.2);
  });
});
