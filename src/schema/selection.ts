/**
 * What the operation selected below a field, used to ask Elastic Path to include related records
 * only when the caller needs more of them than their ids.
 *
 * It walks the field's own selection in the document (through aliases, inline fragments and named
 * fragments) along one path, instead of building the resolve tree of the whole subtree per call.
 * Resolvers follow fragments whatever their type condition: at worst a record is included that the
 * caller did not need, never the other way round. The cost estimate walks the same way, for the
 * object type each selection will resolve to (`subfields`' `runtimeType`).
 */
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  isAbstractType,
  typeFromAST,
  type FieldNode,
  type FragmentSpreadNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type InlineFragmentNode,
  type NamedTypeNode,
  type SelectionSetNode,
} from 'graphql';

/** What a walk needs of the request: its fragments and coerced variables (a `GraphQLResolveInfo` has both). */
export type SelectionScope = Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>;

/** The object type a selection resolves to, when fragments must match it. */
export interface RuntimeType {
  schema: GraphQLSchema;
  type: GraphQLObjectType;
}

const FREE_FIELDS = new Set(['id', '__typename']);

/**
 * True when, following `path` (field names, across every fragment and alias), the operation
 * selects any field other than `id` and `__typename`.
 */
export function selectsBeyondId(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return selectsBeyondIdIn(info.fieldNodes, info, path);
}

/** `selectsBeyondId` for the field nodes of a field that has not run yet (see `subfields`). */
export function selectsBeyondIdIn(fieldNodes: readonly FieldNode[], info: SelectionScope, path: readonly string[]): boolean {
  return subfieldsAlong(fieldNodes, info, path).some((group) =>
    [...subfields(group, info).values()].some(([field]) => field !== undefined && !FREE_FIELDS.has(field.name.value)),
  );
}

/**
 * The fields selected directly below `fieldNodes` (or an operation), grouped by response key as
 * graphql-js groups them before running them (its CollectFields): through fragments and aliases,
 * each named fragment once, leaving out what `@skip`/`@include` leave out. With `runtimeType`, a
 * fragment applies only where its type condition matches that type; without it, every fragment
 * applies, which is exact below a field of object type (where every fragment that validates
 * applies), so each group is the `info.fieldNodes` its field will run with.
 */
export function subfields(
  fieldNodes: ReadonlyArray<{ readonly selectionSet?: SelectionSetNode }>,
  info: SelectionScope,
  runtimeType?: RuntimeType,
): Map<string, FieldNode[]> {
  const groups = new Map<string, FieldNode[]>();
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const group = groups.get(key);
        if (group) group.push(selection);
        else groups.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition, runtimeType)) visit(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment && applies(fragment.typeCondition, runtimeType)) visit(fragment.selectionSet);
      }
    }
  };
  for (const node of fieldNodes) visit(node.selectionSet);
  return groups;
}

/** The groups (see `subfields`) found by following `path` from `fieldNodes`, each alias on its own. */
export function subfieldsAlong(fieldNodes: readonly FieldNode[], info: SelectionScope, path: readonly string[]): FieldNode[][] {
  let level: FieldNode[][] = [fieldNodes as FieldNode[]];
  for (const name of path) {
    const next: FieldNode[][] = [];
    for (const nodes of level) {
      for (const group of subfields(nodes, info).values()) if (group[0]?.name.value === name) next.push(group);
    }
    level = next;
  }
  return level;
}

/** Whether a fragment with this type condition applies to an object of the runtime type. */
function applies(condition: NamedTypeNode | undefined, runtimeType: RuntimeType | undefined): boolean {
  if (!condition || !runtimeType) return true;
  const { schema, type } = runtimeType;
  const conditional = typeFromAST(schema, condition);
  if (conditional === type) return true;
  return conditional !== undefined && isAbstractType(conditional) && schema.isSubType(conditional, type);
}

/** What `@skip(if:)` and `@include(if:)` say, as graphql-js reads them. */
function included(node: FieldNode | FragmentSpreadNode | InlineFragmentNode, info: Pick<SelectionScope, 'variableValues'>): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
}
