/**
 * What the operation selected below a field, used to ask Elastic Path to include related records
 * only when the caller needs more of them than their ids.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { parseResolveInfo, type FieldsByTypeName, type ResolveTree } from 'graphql-parse-resolve-info';

const FREE_FIELDS = new Set(['id', '__typename']);

/**
 * True when, following `path` (field names, across every fragment and alias), the operation
 * selects any field other than `id` and `__typename`.
 */
export function selectsBeyondId(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const root = parseResolveInfo(info) as ResolveTree | null;
  if (!root) return false;
  let level: ResolveTree[] = [root];
  for (const name of path) {
    level = level.flatMap((tree) => childrenNamed(tree.fieldsByTypeName, name));
    if (level.length === 0) return false;
  }
  return level.some((tree) =>
    Object.values(tree.fieldsByTypeName).some((fields) => Object.values(fields).some((f) => !FREE_FIELDS.has(f.name))),
  );
}

function childrenNamed(byType: FieldsByTypeName, name: string): ResolveTree[] {
  return Object.values(byType).flatMap((fields) => Object.values(fields).filter((field) => field.name === name));
}
