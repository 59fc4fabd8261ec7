/** The per-request call budget: exactly `limit` calls, then UPSTREAM_BUDGET_EXCEEDED naming the limit. */
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CallBudget } from '../../src/cost/budget.js';

const refusal = (budget: CallBudget) => {
  try {
    budget.spend();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('CallBudget', () => {
  it('allows exactly its limit of calls, counting down what is left', () => {
    const budget = new CallBudget(3);
    expect(budget.left).toBe(3);
    budget.spend();
    expect(budget.left).toBe(2);
    budget.spend();
    budget.spend();
    expect(budget.left).toBe(0);
  });

  it('refuses every call past the limit with UPSTREAM_BUDGET_EXCEEDED, and spends nothing for it', () => {
    const budget = new CallBudget(2);
    budget.spend();
    budget.spend();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = refusal(budget);
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toEqual({ code: 'UPSTREAM_BUDGET_EXCEEDED', limit: 2 });
      expect((error as GraphQLError).message).toMatch(/^This request reached its limit of 2 Elastic Path calls/);
      expect(budget.left).toBe(0);
    }
  });

  it('refuses the first call of a budget of 0', () => {
    const budget = new CallBudget(0);
    expect(budget.left).toBe(0);
    expect(refusal(budget)).toBeInstanceOf(GraphQLError);
  });
});
