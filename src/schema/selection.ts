/**
 * What the operation selected below a field, used to ask Elastic Path to include related records
 * only when the caller needs more of them than their ids.
 *
 * It walks the field's own selection in the document (through aliases, inline fragments and named
 * fragments) along one path, instead of building the resolve tree of the whole subtree per call.
 * Fragments are followed whatever their type condition: at worst a record is included that the
 * caller did not need, never the other way round.
 */
import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

const FREE_FIELDS = new Set(['id', '__typename']);

/**
 * True when, following `path` (field names, across every fragment and alias), the operation
 * selects any field other than `id` and `__typename`.
 */
export function selectsBeyondId(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let level: readonly FieldNode[] = info.fieldNodes;
  for (const name of path) {
    const next: FieldNode[] = [];
    for (const node of level) collect(node.selectionSet, info, (field) => field.name.value === name && next.push(field));
    if (next.length === 0) return false;
    level = next;
  }
  let beyond = false;
  for (const node of level) collect(node.selectionSet, info, (field) => (beyond ||= !FREE_FIELDS.has(field.name.value)));
  return beyond;
}

/** Calls `visit` for each field selected directly in `selectionSet`, through fragments. */
function collect(
  selectionSet: SelectionSetNode | undefined,
  info: GraphQLResolveInfo,
  visit: (field: FieldNode) => unknown,
  seen?: Set<string>,
): void {
  if (!selectionSet) return;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) visit(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, info, visit, seen);
    else {
      const name = selection.name.value;
      const visited = seen ?? new Set<string>();
      if (visited.has(name)) continue;
      visited.add(name);
      collect(info.fragments[name]?.selectionSet, info, visit, visited);
    }
  }
}
