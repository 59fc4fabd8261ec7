/**
 * Marks an operation's upstream calls as bulk work, which the quota keeps within
 * EP_API_BULK_SHARE: an `ensureAccountMemberships`, or any operation whose cost estimate (worked
 * out by the cost plugin, which runs first) is above EP_API_BULK_ESTIMATE_CALLS. By operation, not
 * by page size: a page of 100 is still one call.
 */
import { Kind, getOperationAST, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { operationOf } from '../observability/records.js';

/** Root fields that are bulk work whatever their estimate. */
const BULK_FIELDS = new Set(['ensureAccountMemberships']);

export function useBulkClassification(settings: Pick<Config, 'epApiBulkEstimateCalls'>): Plugin {
  return {
    onExecute({ args }) {
      const operation = operationOf(args.contextValue as object);
      if (!operation) return;
      if ((operation.estimatedCalls ?? 0) > settings.epApiBulkEstimateCalls) {
        operation.bulk = true;
        return;
      }
      const definition = getOperationAST(args.document, args.operationName);
      if (definition?.operation !== 'mutation') return;
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const node of args.document.definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node);
      if (hasBulkField(definition.selectionSet, fragments, new Set())) operation.bulk = true;
    },
  };
}

function hasBulkField(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (BULK_FIELDS.has(selection.name.value)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (hasBulkField(selection.selectionSet, fragments, seen)) return true;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const definition = fragments.get(selection.name.value);
      if (definition && hasBulkField(definition.selectionSet, fragments, seen)) return true;
    }
  }
  return false;
}
