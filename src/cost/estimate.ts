/**
 * How many Elastic Path calls an operation can make, worked out from the document and its
 * variables before anything runs. The rules follow the gateway's own loading, so the estimate is
 * an upper bound on what it really does, not a generic weight:
 *
 * - a root list or a connection costs one call for its page, and its nodes multiply whatever they
 *   select by the page size (`first`, default 25);
 * - a member's or an account's own fields cost one lookup per record the gateway does not already
 *   hold; accounts load in `in(id,…)` batches of 100 (members too with EP_MEMBER_BATCH_LOOKUP), so
 *   N of them at one level cost ⌈N/100⌉;
 * - members under a memberships page come with it (`include=account_member`), and accounts under a
 *   member's memberships too (`include=account`): free;
 * - `accountMember { id }` and `account { id }` cost nothing;
 * - `_entities` costs its representations after deduplication and batching, then what each selects;
 * - `ensureAccountMembership` costs its write and one lookup (after a 409), then what its membership
 *   selects; `ensureAccountMemberships` of N ids costs N writes plus N + 1 reads at most, capped at
 *   10 (the account's first page of 100 memberships, then either its other pages or one lookup per
 *   conflict, whichever is fewer; an account holds at most 1000), then what N memberships select.
 *   Ids that fail validation cost nothing: the call is refused before it reaches Elastic Path.
 *
 * Speculative reads (src/schema/speculative-reads.ts) are counted by these rules as they stand: each
 * is the read of a field below `accountMember(id)`, `account(id)`, `accountMembership` or an account
 * page's `account`, or the member's record of a create's or ensure's `accountMember` (read beside the
 * write, counted as the member lookup it replaces), and those fields are counted whether or not their
 * parent turns out to exist (or the write succeeds) and however small the page turns out to be. A rule that stops counting a field below a parent that
 * may be missing must keep counting that field's speculative read.
 */
import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { MEMBERSHIP_LIMIT } from '../errors.js';
import { requireIdList } from '../ids.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/pagination.js';

export interface CostSettings {
  /** Members load in `in(id,…)` batches (EP_MEMBER_BATCH_LOOKUP) instead of one GET each. */
  memberBatchLookup: boolean;
}

/** Elastic Path's largest page, and so the most ids one `in(id,…)` batch answers. */
const BATCH_SIZE = 100;
const FREE = new Set(['id', '__typename']);
/** The most pages of memberships one account can fill. */
const MAX_MEMBERSHIP_PAGES = Math.ceil(MEMBERSHIP_LIMIT / MAX_PAGE_SIZE);

type Variables = Record<string, unknown> | null | undefined;

/** Which side a membership was read from decides which of its relations came with it. */
type MembershipSide = 'account-page' | 'member-page' | 'single' | 'created' | 'ensured-in-bulk' | 'entity';

export function estimateCalls(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
  settings: CostSettings,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName)) {
      operation ??= definition;
    }
  }
  if (!operation) return 0;
  const walk = new CostWalk(fragments, variables ?? {}, settings);
  return operation.operation === 'mutation' ? walk.mutation(operation.selectionSet) : walk.query(operation.selectionSet);
}

class CostWalk {
  constructor(
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly settings: CostSettings,
  ) {}

  query(selectionSet: SelectionSetNode): number {
    let calls = 0;
    for (const field of this.fields(selectionSet, 'Query')) {
      const below = field.selectionSet;
      switch (field.name.value) {
        case 'account':
          calls += 1 + this.account(below, 1, true);
          break;
        case 'accountMember':
          calls += 1 + this.member(below, 1, true);
          break;
        case 'accountMembership':
          calls += 1 + this.membership(below, 1, 'single');
          break;
        case 'accountMemberships':
          calls += 1 + this.membershipPage(field, 'account-page');
          break;
        case 'accountMembers':
        case 'unassignedAccountMembers':
          calls += 1 + this.member(this.nodes(below), this.pageSize(field), true);
          break;
        case '_entities':
          calls += this.entities(field);
          break;
        default:
          // __typename, _service and introspection never reach Elastic Path.
          break;
      }
    }
    return calls;
  }

  mutation(selectionSet: SelectionSetNode): number {
    let calls = 0;
    for (const field of this.fields(selectionSet, 'Mutation')) {
      switch (field.name.value) {
        case 'createAccountMembership':
          calls += 1 + this.membership(this.onType(field.selectionSet, 'AccountMembership'), 1, 'created');
          break;
        case 'deleteAccountMembership':
          calls += 1;
          break;
        case 'ensureAccountMembership':
          calls += 2 + this.membership(this.ensuredMembership(field.selectionSet), 1, 'created');
          break;
        case 'ensureAccountMemberships': {
          const ids = this.idListLength(field, 'accountMemberIds');
          if (ids === 0) break;
          const results = this.childSelection(this.onType(field.selectionSet, 'EnsuredAccountMemberships'), 'results');
          calls += ids + Math.min(ids + 1, MAX_MEMBERSHIP_PAGES) + this.membership(this.ensuredMembership(results), ids, 'ensured-in-bulk');
          break;
        }
        default:
          break;
      }
    }
    return calls;
  }

  /** `count` members; `known` when their records came with the answer that named them. */
  private member(selectionSet: SelectionSetNode | undefined, count: number, known: boolean): number {
    if (!selectionSet || count === 0) return 0;
    let calls = 0;
    let needsRecord = false;
    for (const field of this.fields(selectionSet, 'AccountMember')) {
      const name = field.name.value;
      if (name === 'memberships') calls += count * (1 + this.membershipPage(field, 'member-page'));
      else if (!FREE.has(name)) needsRecord = true;
    }
    if (needsRecord && !known) calls += this.settings.memberBatchLookup ? Math.ceil(count / BATCH_SIZE) : count;
    return calls;
  }

  /** `count` accounts, of which `distinct` differ (the loader looks each up once). */
  private account(selectionSet: SelectionSetNode | undefined, count: number, known: boolean, distinct = count): number {
    if (!selectionSet || count === 0) return 0;
    let calls = 0;
    let needsRecord = false;
    for (const field of this.fields(selectionSet, 'Account')) {
      const name = field.name.value;
      if (name === 'memberships') calls += count * (1 + this.membershipPage(field, 'account-page'));
      else if (name === 'parent') {
        needsRecord = true;
        calls += this.account(field.selectionSet, count, false, distinct);
      } else if (!FREE.has(name)) needsRecord = true;
    }
    if (needsRecord && !known) calls += Math.ceil(distinct / BATCH_SIZE);
    return calls;
  }

  /** A connection of memberships: what one page's nodes select (the page itself is the caller's call). */
  private membershipPage(field: FieldNode, side: MembershipSide): number {
    return this.membership(this.nodes(field.selectionSet), this.pageSize(field), side);
  }

  private membership(selectionSet: SelectionSetNode | undefined, count: number, side: MembershipSide): number {
    if (!selectionSet || count === 0) return 0;
    let calls = 0;
    for (const field of this.fields(selectionSet, 'AccountMembership')) {
      if (field.name.value === 'account') {
        // Read from a member, a page asks for its accounts with `include=account`; read from an
        // account (or ensured in one), every membership names that one account.
        if (side === 'member-page') calls += this.account(field.selectionSet, count, true);
        else calls += this.account(field.selectionSet, count, false, side === 'account-page' || side === 'ensured-in-bulk' ? 1 : count);
      } else if (field.name.value === 'accountMember') {
        // Pages and single reads include the member when its fields are selected; read from a
        // member, it is that member, already loaded.
        const known = side === 'account-page' || side === 'single' || side === 'member-page';
        calls += this.member(field.selectionSet, count, known);
      }
    }
    return calls;
  }

  /** Federation's `_entities(representations:)`: each distinct key is looked up once, accounts in batches. */
  private entities(field: FieldNode): number {
    const representations = this.argument(field, 'representations');
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
      (this.settings.memberBatchLookup ? Math.ceil(members / BATCH_SIZE) : members) +
      this.member(this.onType(field.selectionSet, 'AccountMember'), members, true) +
      Math.ceil(accounts / BATCH_SIZE) +
      this.account(this.onType(field.selectionSet, 'Account'), accounts, true) +
      memberships +
      this.membership(this.onType(field.selectionSet, 'AccountMembership'), memberships, 'entity')
    );
  }

  /** What an ensure result's `membership` selects (on `EnsuredAccountMembership`). */
  private ensuredMembership(selectionSet: SelectionSetNode | undefined): SelectionSetNode | undefined {
    return this.childSelection(this.onType(selectionSet, 'EnsuredAccountMembership'), 'membership');
  }

  /** The selections of every field named `name` (aliases included) in `selectionSet`, as one. */
  private childSelection(selectionSet: SelectionSetNode | undefined, name: string): SelectionSetNode | undefined {
    const selections = this.fields(selectionSet, undefined)
      .filter((field) => field.name.value === name && field.selectionSet)
      .flatMap((field) => field.selectionSet?.selections ?? []);
    return selections.length > 0 ? { kind: Kind.SELECTION_SET, selections } : undefined;
  }

  /** How many ids a list argument holds, or 0 when the resolver will refuse them before any call. */
  private idListLength(field: FieldNode, name: string): number {
    const value = this.argument(field, name);
    // GraphQL coerces a single value given for a list argument to a list of one.
    const ids = Array.isArray(value) ? value : [value];
    if (!ids.every((id): id is string => typeof id === 'string')) return 0;
    try {
      return requireIdList(ids, name).length;
    } catch {
      return 0;
    }
  }

  /** `first`, as the resolver will read it: the default when absent, at most a full page. */
  private pageSize(field: FieldNode): number {
    const first = this.argument(field, 'first');
    return typeof first === 'number' && first >= 1 ? Math.min(first, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  }

  /** The selection under a connection's `edges { node }`. */
  private nodes(selectionSet: SelectionSetNode | undefined): SelectionSetNode | undefined {
    const selections = [];
    for (const edges of this.fields(selectionSet, undefined)) {
      if (edges.name.value !== 'edges') continue;
      for (const node of this.fields(edges.selectionSet, undefined)) {
        if (node.name.value === 'node' && node.selectionSet) selections.push(...node.selectionSet.selections);
      }
    }
    return selections.length > 0 ? { kind: Kind.SELECTION_SET, selections } : undefined;
  }

  /** The selection that applies when a union or interface field resolves to `type`. */
  private onType(selectionSet: SelectionSetNode | undefined, type: string): SelectionSetNode | undefined {
    const selections = this.fields(selectionSet, type);
    return selections.length > 0 ? { kind: Kind.SELECTION_SET, selections } : undefined;
  }

  /**
   * The fields selected on an object of `type`, through fragments whose condition is that type (or
   * any condition, when `type` is not given); aliases count separately, as they run separately.
   */
  private fields(selectionSet: SelectionSetNode | undefined, type: string | undefined, seen = new Set<string>()): FieldNode[] {
    if (!selectionSet) return [];
    const fields: FieldNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        fields.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, type)) fields.push(...this.fields(selection.selectionSet, type, seen));
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = this.fragments.get(selection.name.value);
        if (fragment && applies(fragment.typeCondition.name.value, type)) {
          fields.push(...this.fields(fragment.selectionSet, type, seen));
        }
      }
    }
    return fields;
  }

  private argument(field: FieldNode, name: string): unknown {
    const argument = field.arguments?.find((candidate) => candidate.name.value === name);
    return argument ? this.value(argument.value) : undefined;
  }

  private value(node: ValueNode): unknown {
    switch (node.kind) {
      case Kind.VARIABLE:
        return this.variables[node.name.value];
      case Kind.INT:
        return Number(node.value);
      case Kind.LIST:
        return node.values.map((item) => this.value(item));
      case Kind.OBJECT:
        return Object.fromEntries(node.fields.map((item) => [item.name.value, this.value(item.value)]));
      case Kind.STRING:
      case Kind.ENUM:
        return node.value;
      default:
        return undefined;
    }
  }
}

/** Abstract conditions (`... on Error`) and the concrete type itself apply; another concrete type does not. */
function applies(condition: string | undefined, type: string | undefined): boolean {
  if (condition === undefined || type === undefined || condition === type) return true;
  return !CONCRETE.has(condition);
}

/** The object types whose fields cost something; a fragment on any other object type selects none of ours. */
const CONCRETE = new Set([
  'Query',
  'Mutation',
  'Account',
  'AccountMember',
  'AccountMembership',
  'EnsuredAccountMembership',
  'EnsuredAccountMemberships',
]);
