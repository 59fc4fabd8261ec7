/**
 * What one request may cost Elastic Path, checked before anything runs: each operation's estimated
 * calls against MAX_UPSTREAM_CALLS (the root mutation fields of a whole batch are held to
 * MAX_MUTATION_FIELDS before, by use-mutation-field-limit.ts). Each result then reports its cost in `extensions.cost`. The run-time budget
 * (`CallBudget`) is the backstop for what the estimate cannot see.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { budgetExceeded, eventBudgetExceeded } from '../domain/errors.js';
import { operationOf } from '../observability/records.js';
import { estimateCalls } from '../cost/estimate.js';

export type CostSettings = Pick<Config, 'maxUpstreamCalls' | 'costExtensions' | 'epMemberBatchLookup' | 'subscriptionEventMaxCalls'>;

export function useCostEstimate(settings: CostSettings): Plugin {
  const limit = settings.maxUpstreamCalls;

  return {
    // A subscription's estimate is what one event may cost one subscriber; each event has a budget
    // of SUBSCRIPTION_EVENT_MAX_CALLS, so a selection that could exceed it is refused up front.
    onSubscribe({ args, setResultAndStopExecution }) {
      const estimated = estimateCalls(args, settings);
      const operation = operationOf(args.contextValue as object);
      if (operation) operation.estimatedCalls = estimated;
      if (estimated > settings.subscriptionEventMaxCalls) {
        setResultAndStopExecution({ errors: [eventBudgetExceeded(settings.subscriptionEventMaxCalls, estimated)] });
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const estimated = estimateCalls(args, settings);
      const operation = operationOf(args.contextValue as object);
      if (operation) operation.estimatedCalls = estimated;
      if (estimated > limit) {
        setResultAndStopExecution(withCost({ errors: [budgetExceeded(limit, estimated)] }, estimated, 0, settings));
        return undefined;
      }
      if (!settings.costExtensions) return undefined;
      return {
        onExecuteDone({ result, setResult }) {
          setResult(withCost(result as ExecutionResult, estimated, operation?.calls ?? 0, settings));
        },
      };
    },
  };
}

function withCost(result: ExecutionResult, estimated: number, actual: number, settings: CostSettings): ExecutionResult {
  if (!settings.costExtensions) return result;
  return { ...result, extensions: { ...result.extensions, cost: { estimated, actual } } };
}
