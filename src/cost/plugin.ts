/**
 * What one request may cost Elastic Path, checked before anything runs: each operation's estimated
 * calls against MAX_UPSTREAM_CALLS, and the root mutation fields of a whole batch against
 * MAX_MUTATION_FIELDS. Each result then reports its cost in `extensions.cost`. The run-time budget
 * (`CallBudget`) is the backstop for what the estimate cannot see.
 */
import { GraphQLError, Kind, getOperationAST, type ExecutionResult, type FragmentDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { ErrorCode, budgetExceeded } from '../errors.js';
import { operationOf } from '../observability/records.js';
import { rootFieldCount } from '../protection.js';
import { estimateCalls } from './estimate.js';

export type CostSettings = Pick<
  Config,
  'maxUpstreamCalls' | 'maxMutationFields' | 'costExtensions' | 'epMemberBatchLookup' | 'subscriptionEventMaxCalls'
>;

export function costPlugin(settings: CostSettings): Plugin {
  const limit = settings.maxUpstreamCalls;
  // Writes already asked for by earlier operations of the same (batched) request.
  const mutationFields = new WeakMap<Request, number>();

  return {
    // A subscription's estimate is what one event may cost one subscriber; each event has a budget
    // of SUBSCRIPTION_EVENT_MAX_CALLS, so a selection that could exceed it is refused up front.
    onSubscribe({ args, setResultAndStopExecution }) {
      const estimated = estimateCalls(args, settings);
      const operation = operationOf(args.contextValue as object);
      if (operation) operation.estimatedCalls = estimated;
      if (estimated > settings.subscriptionEventMaxCalls) {
        setResultAndStopExecution({ errors: [budgetExceeded(settings.subscriptionEventMaxCalls, estimated)] });
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { request } = args.contextValue as { request: Request };
      const definition = getOperationAST(args.document, args.operationName);
      if (definition?.operation === 'mutation') {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const node of args.document.definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node);
        const total = (mutationFields.get(request) ?? 0) + rootFieldCount(definition, (name) => fragments.get(name));
        mutationFields.set(request, total);
        if (total > settings.maxMutationFields) {
          setResultAndStopExecution({
            errors: [
              new GraphQLError(
                `This request asks for ${total} mutation fields across its operations; at most ${settings.maxMutationFields} are allowed in one request. Send them in separate requests.`,
                { extensions: { code: ErrorCode.BAD_USER_INPUT } },
              ),
            ],
          });
          return undefined;
        }
      }

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
