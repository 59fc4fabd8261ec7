/**
 * `extensions.reconciled: true` on the result of an operation that answered from a lookup instead
 * of a lost answer: a write was sent, its answer never came (a timeout, a dropped connection), and
 * the gateway looked the membership up and found what it says (a create's membership, whether or
 * not the outcome could be told; a delete's membership gone). A client that wants to know whether what it
 * sees was confirmed by Elastic Path's own answer reads this flag; the data is the same either way.
 * In a batch, each operation's result carries its own flag.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationOf } from '../observability/records.js';

export function useReconciledExtension(): Plugin {
  return {
    onExecute({ args }) {
      const operation = operationOf(args.contextValue as object);
      if (!operation) return undefined;
      return {
        onExecuteDone({ result, setResult }) {
          const { landed = 0, existing = 0, uncertain = 0 } = operation.reconciliations ?? {};
          if (landed + existing + uncertain === 0 || Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          setResult({ ...single, extensions: { ...single.extensions, reconciled: true } });
        },
      };
    },
  };
}
