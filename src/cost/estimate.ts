/**
 * How many Elastic Path calls an operation can make, worked out from the document and its
 * variables before anything runs. The rules follow the gateway's own loading, so the estimate is
 * an upper bound on what it really does, not a generic weight:
 *
 * - a root list or a connection costs one call for its page, and its nodes multiply whatever they
 *   select by the page size (`first`, default 25); a `first` the resolver refuses costs nothing;
 * - a member's or an account's own fields cost one lookup per record the gateway does not already
 *   hold; accounts load in `in(id,…)` batches of 100 (members too with EP_MEMBER_BATCH_LOOKUP), so
 *   N of them at one level cost ⌈N/100⌉;
 * - a batch that does not return an id looks that id up alone, so ids that may not exist (given by
 *   the caller to `account`, `accountMember` or `_entities`) cost one more each, once the operation
 *   can batch them with another;
 * - members under a memberships page come with it (`include=account_member`), and accounts under a
 *   member's memberships too (`include=account`): free;
 * - `accountMember { id }` and `account { id }` cost nothing;
 * - `_entities` costs its representations after deduplication and batching, then what each selects;
 * - `ensureAccountMembership` costs its write and one lookup (the filtered list read beside the
 *   write; a second, after a 409 whose read beside it came back empty or failed, is rare and not
 *   counted, as the lookup after a lost answer is not), then what its membership selects; `ensureAccountMemberships` of N ids costs N writes plus N + 1 reads at most, capped at
 *   10 (the account's first page of 100 memberships, then either its other pages or one lookup per
 *   conflict, whichever is fewer; an account holds at most 1000), then what N memberships select.
 *   Ids that fail validation cost nothing: the call is refused before it reaches Elastic Path.
 *
 * The document is read as execution reads it: variables coerced by graphql-js (defaults applied,
 * a single value given for a list made a list of one), arguments coerced the same way, `@skip` and
 * `@include` applied, fragments matched to the runtime type and fields merged by response key.
 *
 * Speculative reads (src/schema/speculative-reads.ts) are counted by these rules as they stand: each
 * is the read of a field below `accountMember(id)`, `account(id)`, `accountMembership` or an account
 * page's `account`, or the member's record of a create's or ensure's `accountMember` (read beside the
 * write, counted as the member lookup it replaces), and those fields are counted whether or not their
 * parent turns out to exist (or the write succeeds) and however small the page turns out to be. A rule that stops counting a field below a parent that
 * may be missing must keep counting that field's speculative read.
 */
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getArgumentValues,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isObjectType,
  typeFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type SelectionSetNode,
} from 'graphql';
import { MEMBERSHIP_LIMIT } from '../errors.js';
import { requireIdList } from '../ids.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/pagination.js';

export interface CostSettings {
  /** Members load in `in(id,…)` batches (EP_MEMBER_BATCH_LOOKUP) instead of one GET each. */
  memberBatchLookup: boolean;
}

/** What execution receives: the operation is chosen and its variables coerced as `execute` does. */
export interface EstimateRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}

/** Elastic Path's largest page, and so the most ids one `in(id,…)` batch answers. */
const BATCH_SIZE = 100;
const FREE = new Set(['id', '__typename']);
/** The most pages of memberships one account can fill. */
const MAX_MEMBERSHIP_PAGES = Math.ceil(MEMBERSHIP_LIMIT / MAX_PAGE_SIZE);

/** The field nodes that execution merges under one response key and resolves once. */
type FieldGroup = readonly FieldNode[];

/** Which side a membership was read from decides which of its relations came with it. */
type MembershipSide = 'account-page' | 'member-page' | 'single' | 'created' | 'ensured-in-bulk' | 'entity';

/**
 * The estimate, or 0 when execution would refuse the request before any resolver runs (no such
 * operation, or variables that do not coerce): then nothing reaches Elastic Path.
 */
export function estimateCalls(request: EstimateRequest, settings: CostSettings): number {
  const { schema, document } = request;
  const operation = getOperationAST(document, request.operationName);
  if (!operation) return 0;
  let variables: Record<string, unknown> = {};
  if (operation.variableDefinitions?.length) {
    const coerced = getVariableValues(schema, operation.variableDefinitions, request.variableValues ?? {}, { maxErrors: 1 });
    if (coerced.errors) return 0;
    variables = coerced.coerced;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk = new CostWalk(schema, fragments, variables, settings);
  if (operation.operation === 'mutation') return walk.mutation(operation.selectionSet);
  if (operation.operation === 'query') return walk.query(operation.selectionSet);
  return walk.subscription(operation.selectionSet);
}

class CostWalk {
  /** Accounts looked up through the loader, and how many of them the caller named (they may not exist). */
  private accountLookups = 0;
  private namedAccounts = 0;
  /** The same for members, when they load in batches. */
  private memberLookups = 0;
  private namedMembers = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly settings: CostSettings,
  ) {}

  query(selectionSet: SelectionSetNode): number {
    let calls = 0;
    const type = this.type('Query');
    for (const group of this.collect(type, [selectionSet])) {
      switch (fieldName(group)) {
        case 'account':
          calls += this.lookUpAccounts(1, true) + this.account(group, 1, true);
          break;
        case 'accountMember':
          calls += this.lookUpMembers(1, true) + this.member(group, 1, true);
          break;
        case 'accountMembership':
          calls += 1 + this.membership(group, 1, 'single');
          break;
        case 'accountMemberships': {
          const size = this.pageSize(type, group);
          if (size !== undefined) calls += 1 + this.membershipPage(group, size, 'account-page');
          break;
        }
        case 'accountMembers':
        case 'unassignedAccountMembers': {
          const size = this.pageSize(type, group);
          if (size === undefined) break;
          calls += 1;
          for (const node of this.nodes(group, 'AccountMemberConnection', 'AccountMemberEdge')) calls += this.member(node, size, true);
          break;
        }
        case '_entities':
          calls += this.entities(group, this.argumentsOf(type, group)?.representations);
          break;
        default:
          // __typename, _service and introspection never reach Elastic Path.
          break;
      }
    }
    return calls + this.lookupsOfNamedIds();
  }

  mutation(selectionSet: SelectionSetNode): number {
    let calls = 0;
    const type = this.type('Mutation');
    for (const group of this.collect(type, [selectionSet])) {
      switch (fieldName(group)) {
        case 'createAccountMembership':
          calls += 1 + this.membership(group, 1, 'created');
          break;
        case 'deleteAccountMembership':
          calls += 1;
          break;
        case 'ensureAccountMembership':
          calls += 2;
          for (const membership of this.children(group, 'EnsuredAccountMembership', 'membership')) {
            calls += this.membership(membership, 1, 'created');
          }
          break;
        case 'ensureAccountMemberships': {
          const ids = idCount(this.argumentsOf(type, group)?.accountMemberIds, 'accountMemberIds');
          if (ids === 0) break;
          calls += ids + Math.min(ids + 1, MAX_MEMBERSHIP_PAGES);
          for (const results of this.children(group, 'EnsuredAccountMemberships', 'results')) {
            for (const membership of this.children(results, 'EnsuredAccountMembership', 'membership')) {
              calls += this.membership(membership, ids, 'ensured-in-bulk');
            }
          }
          break;
        }
        default:
          break;
      }
    }
    return calls + this.lookupsOfNamedIds();
  }

  /** What one event costs one subscriber: the event carries its membership's record, not the member's. */
  subscription(selectionSet: SelectionSetNode): number {
    let calls = 0;
    for (const group of this.collect(this.type('Subscription'), [selectionSet])) {
      if (fieldName(group) !== 'accountMembershipEvents') continue;
      for (const membership of this.children(group, 'AccountMembershipEvent', 'membership')) calls += this.membership(membership, 1, 'created');
    }
    return calls;
  }

  /** `count` members selected by `group`; `known` when their records came with the answer that named them. */
  private member(group: FieldGroup, count: number, known: boolean): number {
    if (count === 0) return 0;
    let calls = 0;
    let needsRecord = false;
    const type = this.type('AccountMember');
    for (const field of this.collect(type, group)) {
      const name = fieldName(field);
      if (name === 'memberships') {
        const size = this.pageSize(type, field);
        if (size !== undefined) calls += count * (1 + this.membershipPage(field, size, 'member-page'));
      } else if (!FREE.has(name)) {
        needsRecord = true;
      }
    }
    if (needsRecord && !known) calls += this.lookUpMembers(count, false);
    return calls;
  }

  /** `count` accounts selected by `group`, of which `distinct` differ (the loader looks each up once). */
  private account(group: FieldGroup, count: number, known: boolean, distinct = count): number {
    if (count === 0) return 0;
    let calls = 0;
    let needsRecord = false;
    const type = this.type('Account');
    for (const field of this.collect(type, group)) {
      const name = fieldName(field);
      if (name === 'memberships') {
        const size = this.pageSize(type, field);
        if (size !== undefined) calls += count * (1 + this.membershipPage(field, size, 'account-page'));
      } else if (name === 'parent') {
        needsRecord = true;
        calls += this.account(field, count, false, distinct);
      } else if (!FREE.has(name)) {
        needsRecord = true;
      }
    }
    if (needsRecord && !known) calls += this.lookUpAccounts(distinct, false);
    return calls;
  }

  /** What one page of memberships selects in its nodes (the page itself is the caller's call). */
  private membershipPage(group: FieldGroup, size: number, side: MembershipSide): number {
    let calls = 0;
    for (const node of this.nodes(group, 'AccountMembershipConnection', 'AccountMembershipEdge')) {
      calls += this.membership(node, size, side);
    }
    return calls;
  }

  private membership(group: FieldGroup, count: number, side: MembershipSide): number {
    if (count === 0) return 0;
    let calls = 0;
    for (const field of this.collect(this.type('AccountMembership'), group)) {
      const name = fieldName(field);
      if (name === 'account') {
        // Read from a member, a page asks for its accounts with `include=account`; read from an
        // account (or ensured in one), every membership names that one account.
        if (side === 'member-page') calls += this.account(field, count, true);
        else calls += this.account(field, count, false, side === 'account-page' || side === 'ensured-in-bulk' ? 1 : count);
      } else if (name === 'accountMember') {
        // Pages and single reads include the member when its fields are selected; read from a
        // member, it is that member, already loaded.
        const known = side === 'account-page' || side === 'single' || side === 'member-page';
        calls += this.member(field, count, known);
      }
    }
    return calls;
  }

  /** Federation's `_entities(representations:)`: each distinct key is looked up once, accounts in batches. */
  private entities(group: FieldGroup, representations: unknown): number {
    if (!Array.isArray(representations)) return 0;
    const keys = new Map<string, Set<string>>();
    for (const representation of representations) {
      const { __typename: type, id, accountId } = (representation ?? {}) as Record<string, unknown>;
      if (typeof type !== 'string') continue;
      const ids = keys.get(type) ?? new Set<string>();
      ids.add(`${String(accountId ?? '')}/${String(id)}`);
      keys.set(type, ids);
    }
    const members = keys.get('AccountMember')?.size ?? 0;
    const accounts = keys.get('Account')?.size ?? 0;
    const memberships = keys.get('AccountMembership')?.size ?? 0;
    return (
      this.lookUpMembers(members, true) +
      this.member(group, members, true) +
      this.lookUpAccounts(accounts, true) +
      this.account(group, accounts, true) +
      memberships +
      this.membership(group, memberships, 'entity')
    );
  }

  /** Accounts the loader fetches in batches of 100; `named` when the caller gave the ids. */
  private lookUpAccounts(count: number, named: boolean): number {
    this.accountLookups += count;
    if (named) this.namedAccounts += count;
    return Math.ceil(count / BATCH_SIZE);
  }

  /** Members the loader fetches, one GET each or in batches of 100 (EP_MEMBER_BATCH_LOOKUP). */
  private lookUpMembers(count: number, named: boolean): number {
    if (!this.settings.memberBatchLookup) return count;
    this.memberLookups += count;
    if (named) this.namedMembers += count;
    return Math.ceil(count / BATCH_SIZE);
  }

  /**
   * A batch of two or more that does not return an id looks it up alone (loaders.ts). Ids the
   * gateway read from Elastic Path exist; ids the caller named may not, once the operation loads
   * more than one record of their kind, so that a batch can form.
   */
  private lookupsOfNamedIds(): number {
    return (this.accountLookups > 1 ? this.namedAccounts : 0) + (this.memberLookups > 1 ? this.namedMembers : 0);
  }

  /**
   * A page's `first` as the resolver reads it: the default when absent; undefined when the page is
   * refused before its call (a `first` out of range, or arguments execution refuses).
   */
  private pageSize(type: GraphQLObjectType, group: FieldGroup): number | undefined {
    const args = this.argumentsOf(type, group);
    return args && pageSize(args);
  }

  /**
   * The field's arguments as execution coerces them, or undefined when it refuses them (no resolver
   * runs). Read only where they decide the cost: elsewhere a refused argument only costs less.
   */
  private argumentsOf(type: GraphQLObjectType, group: FieldGroup): Record<string, unknown> | undefined {
    const [node] = group;
    const definition = node && type.getFields()[node.name.value];
    if (!node || !definition) return {};
    try {
      return getArgumentValues(definition, node, this.variables);
    } catch {
      return undefined;
    }
  }

  /** Each selection of `edges { node }` under a connection (aliases resolve separately). */
  private nodes(group: FieldGroup, connection: string, edge: string): FieldGroup[] {
    return this.children(group, connection, 'edges').flatMap((edges) => this.children(edges, edge, 'node'));
  }

  /** The groups named `name` that `group` selects on an object of type `type`. */
  private children(group: FieldGroup, type: string, name: string): FieldGroup[] {
    return this.collect(this.type(type), group).filter((field) => fieldName(field) === name);
  }

  /**
   * The fields selected on an object of `type`, grouped by response key as execution merges them
   * (GraphQL's CollectFields): `@skip`/`@include` applied with the coerced variables, fragments
   * taken once and only where their type condition matches `type`.
   */
  private collect(type: GraphQLObjectType, from: ReadonlyArray<FieldNode | SelectionSetNode>): FieldGroup[] {
    const groups = new Map<string, FieldNode[]>();
    let visited: Set<string> | undefined;
    const visit = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (!this.included(selection)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const group = groups.get(key);
          if (group) group.push(selection);
          else groups.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.matches(selection.typeCondition, type)) visit(selection.selectionSet);
        } else {
          const name = selection.name.value;
          visited ??= new Set();
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = this.fragments.get(name);
          if (fragment && this.matches(fragment.typeCondition, type)) visit(fragment.selectionSet);
        }
      }
    };
    for (const node of from) {
      const selectionSet = node.kind === Kind.SELECTION_SET ? node : node.selectionSet;
      if (selectionSet) visit(selectionSet);
    }
    return [...groups.values()];
  }

  private included(selection: FieldNode | InlineFragmentNode | FragmentSpreadNode): boolean {
    if (!selection.directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, selection, this.variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, selection, this.variables)?.if !== false;
  }

  private matches(condition: InlineFragmentNode['typeCondition'], type: GraphQLObjectType): boolean {
    if (!condition) return true;
    const conditional = typeFromAST(this.schema, condition);
    if (conditional === type) return true;
    return conditional !== undefined && isAbstractType(conditional) && this.schema.isSubType(conditional, type);
  }

  private type(name: string): GraphQLObjectType {
    const type = this.schema.getType(name);
    if (!isObjectType(type)) throw new Error(`The schema has no object type ${name}, which the cost estimate reads.`);
    return type;
  }
}

const fieldName = (group: FieldGroup): string => group[0]?.name.value ?? '';

/** `first` as the resolver reads it: the default when absent; undefined when it refuses the value (no call). */
function pageSize(args: Record<string, unknown>): number | undefined {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  return typeof first === 'number' && Number.isInteger(first) && first >= 1 && first <= MAX_PAGE_SIZE ? first : undefined;
}

/** How many ids a list argument holds, or 0 when the resolver will refuse them before any call. */
function idCount(value: unknown, name: string): number {
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string')) return 0;
  try {
    return requireIdList(value, name).length;
  } catch {
    return 0;
  }
}
