/**
 * How many Elastic Path calls an operation can make, worked out from the document and its
 * variables before anything runs. It knows no field by name: each field declares its cost beside
 * its resolver (`declare.ts`, read here from `extensions.cost`), and each entity type how its
 * records load. The rules, which follow the gateway's own loading so that the estimate is an
 * upper bound on what it really does:
 *
 * - a field costs its own `calls` once per object it is selected on;
 * - a field with a `size` (a page's `first`, default 25; a bulk call's ids) counts what its objects
 *   select that many times; arguments the resolver refuses make the field cost nothing;
 * - fields that read their object's record share one read per object whose record is not at hand
 *   (records come with pages and writes, and with a lookup by id); that read goes through the
 *   type's loader: one call per distinct record, or ⌈N/100⌉ when the loader batches;
 * - a relation the parent's answer `included` is at hand; one `shared` by every object of a list is
 *   one record, read once, and so is one `named` by an argument (its id is the caller's); one that
 *   is the `parent` object is at hand when the parent's record is; one `read-beside` a write is read
 *   once its selection goes beyond the id, and is then at hand;
 * - a batch that does not return an id looks that id up alone, so ids that may not exist (named by
 *   the caller, through a `lookup`, a `named` relation or `_entities`) cost one more each, once the
 *   operation can batch them with another;
 * - federation's `_entities` costs each distinct representation as its type declares, then what
 *   it selects with the record at hand;
 * - a union or an interface costs what its costliest member selects;
 * - `ensureAccountMembership` declares its write and one lookup (the filtered list read beside the
 *   write); a second lookup, after a 409 whose read beside it came back empty or failed, is rare
 *   and not counted, as the lookup after a lost answer is not.
 *
 * The document is read as execution reads it: variables coerced by graphql-js (defaults applied,
 * a single value given for a list made a list of one), arguments coerced the same way, `@skip` and
 * `@include` applied, fragments matched to the runtime type and fields merged by response key.
 *
 * Speculative reads (src/schema/speculative-reads.ts) are counted as the reads of the fields they
 * start for (declared `speculative`), whether or not their parent turns out to exist (or the write
 * succeeds) and however small the page turns out to be: no rule here stops counting a field because
 * its parent may be missing.
 */
import {
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { selectsBeyondIdIn, subfields, type SelectionScope } from '../schema/selection.js';
import type { EstimateSettings, FieldCost, TypeCost } from './declare.js';

/** What execution receives: the operation is chosen and its variables coerced as `execute` does. */
export interface EstimateRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}

/** The field nodes that execution merges under one response key and resolves once. */
type FieldGroup = readonly FieldNode[];

/** What is known of the objects a selection is counted for. */
interface Objects {
  /** How many there can be. */
  count: number;
  /** How many distinct records they name (the loader reads each once). */
  distinct: number;
  /** Their records are at hand: fields that read them cost nothing. */
  known: boolean;
  /** Their record is the one an argument names, read whether or not it exists (a `named` relation). */
  named?: true;
  /** What the answer that yielded them says of their relations (`FieldCost.relations`), by field name. */
  relations: Readonly<Record<string, RelationState>>;
}

/** A declared relation, with `parent` resolved to what is known of the object that yielded them. */
type RelationState = 'included' | 'shared' | 'named' | 'read-beside' | { parent: Objects };

const ROOT: Objects = { count: 1, distinct: 1, known: true, relations: {} };

/**
 * The estimate, or 0 when execution would refuse the request before any resolver runs (no such
 * operation, or variables that do not coerce): then nothing reaches Elastic Path.
 */
export function estimateCalls(request: EstimateRequest, settings: EstimateSettings): number {
  const { schema, document } = request;
  const operation = getOperationAST(document, request.operationName);
  if (!operation) return 0;
  let variableValues: Record<string, unknown> = {};
  if (operation.variableDefinitions?.length) {
    const coerced = getVariableValues(schema, operation.variableDefinitions, request.variableValues ?? {}, { maxErrors: 1 });
    if (coerced.errors) return 0;
    variableValues = coerced.coerced;
  }
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk = new CostWalk(schema, { fragments, variableValues }, settings);
  return walk.objects(root, [operation], ROOT) + walk.lookupsOfNamedIds();
}

class CostWalk {
  /** Per record type: records read through its batching loader, and how many of them the caller named. */
  private readonly lookups = new Map<GraphQLObjectType, { all: number; named: number }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly scope: SelectionScope,
    private readonly settings: EstimateSettings,
  ) {}

  /** What the selection `from` costs on `objects` of `type`. */
  objects(type: GraphQLObjectType, from: ReadonlyArray<{ readonly selectionSet?: FieldNode['selectionSet'] }>, objects: Objects): number {
    if (objects.count === 0) return 0;
    let calls = 0;
    let readsRecord = false;
    const fields = type.getFields();
    for (const group of subfields(from, this.scope, { schema: this.schema, type }).values()) {
      const node = group[0] as FieldNode;
      const name = node.name.value;
      if (name === '_entities' && type === this.schema.getQueryType()) {
        calls += this.entities(group);
        continue;
      }
      // __typename, introspection and fields without a declaration (federation's `_service`) make no call.
      const field = fields[name];
      const declared = field && costOf(field);
      if (!field || !declared) continue;
      if (declared.readsRecord) readsRecord = true;
      calls += this.field(field, declared, group, objects);
    }
    if (readsRecord && !objects.known) calls += this.readRecords(type, objects.distinct, objects.named === true);
    return calls;
  }

  /** What one field costs on `objects`: its own calls, then what its answer selects. */
  private field(field: GraphQLField<unknown, unknown>, declared: FieldCost, group: FieldGroup, objects: Objects): number {
    let size: number | undefined;
    if (declared.size) {
      const args = this.argumentsOf(field, group);
      size = args && declared.size.of(args);
      // Refused before any call: neither the field nor what it selects reaches Elastic Path.
      if (size === undefined || size === 0) return 0;
    }
    const own = typeof declared.calls === 'function' ? declared.calls(size ?? 1) : (declared.calls ?? 0);
    let calls = objects.count * own;
    const type = objectTypesOf(this.schema, field);
    if (type.length === 0) return calls;
    const relations = declared.relations ? resolveRelations(declared.relations, objects) : undefined;
    let yielded: Objects;
    switch (declared.yields) {
      case 'lookup':
        calls += this.readRecords(type[0] as GraphQLObjectType, objects.count, true);
        yielded = { count: objects.count, distinct: objects.count, known: true, relations: relations ?? {} };
        break;
      case 'records':
        yielded = { count: objects.count, distinct: objects.count, known: true, relations: relations ?? {} };
        break;
      case 'reference': {
        const relation = objects.relations[field.name];
        // Each object names one record: the parent's is read once per parent, whatever the page holds.
        const parent = typeof relation === 'object' ? relation.parent : undefined;
        yielded = {
          count: objects.count,
          distinct: relation === 'shared' || relation === 'named' || parent ? 1 : objects.distinct,
          known: relation === 'included' || (parent?.known ?? false),
          relations: relations ?? {},
          ...(relation === 'named' && { named: true }),
        };
        // Read beside the write on the resolver's own test (anything beyond the id), then at hand.
        if (relation === 'read-beside' && selectsBeyondIdIn(group, this.scope, [])) {
          calls += this.readRecords(type[0] as GraphQLObjectType, yielded.distinct, false);
          yielded.known = true;
        }
        break;
      }
      default:
        yielded = { ...objects, relations: relations ?? objects.relations };
    }
    if (size !== undefined) {
      // What each answer's `size` objects select, once per object the field is selected on.
      const each = { ...yielded, count: size, distinct: size };
      return calls + objects.count * this.costliest(type, group, each);
    }
    return calls + this.costliest(type, group, yielded);
  }

  /** An abstract type resolves to one of its members: the costliest counts. */
  private costliest(types: readonly GraphQLObjectType[], group: FieldGroup, objects: Objects): number {
    let most = 0;
    for (const type of types) if (mayCost(type)) most = Math.max(most, this.objects(type, group, objects));
    return most;
  }

  /** Federation's `_entities(representations:)`: each distinct key as its type declares, then what it selects. */
  private entities(group: FieldGroup): number {
    const field = this.schema.getQueryType()?.getFields()._entities;
    const representations = field && this.argumentsOf(field, group)?.representations;
    if (!Array.isArray(representations)) return 0;
    const keys = new Map<string, Set<string>>();
    for (const representation of representations) {
      const { __typename: typename } = (representation ?? {}) as Record<string, unknown>;
      if (typeof typename !== 'string') continue;
      const type = this.schema.getType(typename);
      const reference = isObjectType(type) ? typeCostOf(type)?.reference : undefined;
      if (!reference) continue;
      const ids = keys.get(typename) ?? new Set<string>();
      ids.add(reference.key.map((key) => String((representation as Record<string, unknown>)[key] ?? '')).join('/'));
      keys.set(typename, ids);
    }
    let calls = 0;
    for (const [typename, ids] of keys) {
      const type = this.schema.getType(typename) as GraphQLObjectType;
      const reference = typeCostOf(type)?.reference;
      if (!reference) continue;
      const count = ids.size;
      calls += 'lookup' in reference ? this.readRecords(type, count, true) : count * reference.calls;
      calls += this.objects(type, group, { count, distinct: count, known: true, relations: {} });
    }
    return calls;
  }

  /** `count` records of `type` read through its loader; `named` when the caller gave their ids. */
  private readRecords(type: GraphQLObjectType, count: number, named: boolean): number {
    const records = typeCostOf(type)?.records;
    if (!records) throw new Error(`${type.name} declares no records cost (extensions.cost.records), which the cost estimate reads.`);
    if (!records.batched(this.settings)) return count;
    const lookups = this.lookups.get(type) ?? { all: 0, named: 0 };
    lookups.all += count;
    if (named) lookups.named += count;
    this.lookups.set(type, lookups);
    return Math.ceil(count / records.batchSize);
  }

  /**
   * A batch of two or more that does not return an id looks it up alone (upstream/loaders.ts). Ids the
   * gateway read from Elastic Path exist; ids the caller named may not, once the operation loads
   * more than one record of their kind, so that a batch can form.
   */
  lookupsOfNamedIds(): number {
    let calls = 0;
    for (const { all, named } of this.lookups.values()) if (all > 1) calls += named;
    return calls;
  }

  /**
   * The field's arguments as execution coerces them, or undefined when it refuses them (no resolver
   * runs). Read only where they decide the cost: elsewhere a refused argument only costs less.
   */
  private argumentsOf(field: GraphQLField<unknown, unknown>, group: FieldGroup): Record<string, unknown> | undefined {
    try {
      return getArgumentValues(field, group[0] as FieldNode, this.scope.variableValues);
    } catch {
      return undefined;
    }
  }
}

/** The declared relations, with `parent` taken as the objects the declaring field is on. */
function resolveRelations(declared: NonNullable<FieldCost['relations']>, objects: Objects): Record<string, RelationState> {
  const resolved: Record<string, RelationState> = {};
  for (const [name, relation] of Object.entries(declared)) resolved[name] = relation === 'parent' ? { parent: objects } : relation;
  return resolved;
}

const costOf = (field: GraphQLField<unknown, unknown>): FieldCost | undefined =>
  (field.extensions as { cost?: FieldCost } | undefined)?.cost;

const typeCostOf = (type: GraphQLObjectType): TypeCost | undefined => (type.extensions as { cost?: TypeCost } | undefined)?.cost;

/** Types none of whose fields can cost anything (the error types), which the walk need not enter. */
const costless = new WeakMap<GraphQLObjectType, boolean>();

/** Whether a selection on `type` can cost a call: some field declares a cost or leads to objects. */
function mayCost(type: GraphQLObjectType): boolean {
  let known = costless.get(type);
  if (known === undefined) {
    known = Object.values(type.getFields()).every((field) => {
      const declared = costOf(field);
      return declared !== undefined && Object.keys(declared).length === 0 && isLeafType(getNamedType(field.type));
    });
    costless.set(type, known);
  }
  return !known;
}

/** Each field's answer types, worked out once per schema: an estimate runs for every operation. */
const answerTypes = new WeakMap<GraphQLField<unknown, unknown>, readonly GraphQLObjectType[]>();

function objectTypesOf(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>): readonly GraphQLObjectType[] {
  let types = answerTypes.get(field);
  if (!types) {
    types = namedObjectTypes(schema, field.type);
    answerTypes.set(field, types);
  }
  return types;
}

/** The object types a field's answer can hold, through lists, non-null and abstract types. */
function namedObjectTypes(schema: GraphQLSchema, type: GraphQLOutputType): readonly GraphQLObjectType[] {
  let named = type;
  while (isNonNullType(named) || isListType(named)) named = named.ofType;
  if (isObjectType(named)) return [named];
  if (isAbstractType(named)) return schema.getPossibleTypes(named);
  return [];
}
