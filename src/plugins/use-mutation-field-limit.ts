/**
 * MAX_MUTATION_FIELDS: how many root mutation fields (each a write, or more) one request may ask
 * for. One operation over the limit is a validation error, refused before anything runs (400,
 * BAD_USER_INPUT). A batch's operations share the limit: an operation that would take the
 * request's count past it is refused when it would execute, beside the others' answers.
 */
import {
  GraphQLError,
  Kind,
  getOperationAST,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';

export function useMutationFieldLimit(limit: number): Plugin {
  // Root mutation fields already asked for by earlier operations of the same (batched) request.
  const asked = new WeakMap<Request, number>();
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(perOperation(limit));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const definition = getOperationAST(args.document, args.operationName);
      if (definition?.operation !== 'mutation') return;
      const { request } = args.contextValue as { request: Request };
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const node of args.document.definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node);
      const total = (asked.get(request) ?? 0) + rootFieldCount(definition, (name) => fragments.get(name));
      asked.set(request, total);
      if (total > limit) {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(
              `This request asks for ${total} mutation fields across its operations; at most ${limit} are allowed in one request. Send them in separate requests.`,
              { extensions: { code: ErrorCode.BAD_USER_INPUT } },
            ),
          ],
        });
      }
    },
  };
}

/** One operation must not fan out into many upstream writes: each root mutation field is one. */
function perOperation(limit: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      if (node.operation !== 'mutation') return;
      const count = rootFieldCount(node, (name) => context.getFragment(name));
      if (count > limit) {
        context.reportError(
          new GraphQLError(
            `This operation has ${count} mutation fields; at most ${limit} are allowed in one operation. Send them in separate requests.`,
            { nodes: [node], extensions: { code: ErrorCode.BAD_USER_INPUT } },
          ),
        );
      }
    },
  });
}

/** The root fields an operation runs (each a write, for a mutation), through its fragments; `__typename` is free. */
function rootFieldCount(operation: OperationDefinitionNode, fragment: (name: string) => FragmentDefinitionNode | null | undefined): number {
  let count = 0;
  const seen = new Set<string>();
  const visit = (selections: SelectionSetNode['selections']) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') count += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet.selections);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const definition = fragment(selection.name.value);
        if (definition) visit(definition.selectionSet.selections);
      }
    }
  };
  visit(operation.selectionSet.selections);
  return count;
}
