/**
 * Elastic Path's filter language, kept in the upstream layer: the typed API takes the filter
 * objects below and turns them into expressions here, so no other layer writes a field name or an
 * operator. Caller text only ever appears as a double-quoted, escaped operand, so it cannot close
 * the operand, add a clause or change the operator; an unquoted id must be a UUID. The whole
 * expression is URL-encoded by the client.
 */
import { isUuid } from '../domain/ids.js';

/**
 * Narrows a list of account members. Every field set must match (AND); Elastic Path matches
 * case-insensitively. `null` and `undefined` both mean "not narrowed by this field".
 */
export interface MemberFilter {
  /** Exactly this name. */
  name?: string | null;
  /** Exactly this email address. */
  email?: string | null;
  /** Names containing this text. */
  nameLike?: string | null;
  /** Email addresses containing this text. */
  emailLike?: string | null;
  /** Only these members (`in(id,…)`): ids that are already validated UUIDs. */
  ids?: readonly string[];
}

/** Narrows a list of accounts. */
export interface AccountFilter {
  /** Only these accounts (`in(id,…)`): ids that are already validated UUIDs. */
  ids?: readonly string[];
}

/** Narrows an account's memberships. */
export interface MembershipFilter {
  /** Only the membership of this member: a validated UUID. */
  accountMemberId?: string;
}

/** `filter=` for a members list (all members, or an account's unassigned members). */
export function memberFilterExpression(filter: MemberFilter | undefined): string | undefined {
  if (!filter) return undefined;
  return allOf([
    filter.ids ? inIds(filter.ids) : undefined,
    filter.name != null ? eq('name', filter.name) : undefined,
    filter.email != null ? eq('email', filter.email) : undefined,
    filter.nameLike != null ? contains('name', filter.nameLike) : undefined,
    filter.emailLike != null ? contains('email', filter.emailLike) : undefined,
  ]);
}

/** `filter=` for the accounts list. */
export function accountFilterExpression(filter: AccountFilter | undefined): string | undefined {
  return filter?.ids ? inIds(filter.ids) : undefined;
}

/** `filter=` for an account's memberships. */
export function membershipFilterExpression(filter: MembershipFilter | undefined): string | undefined {
  return filter?.accountMemberId !== undefined ? eqId('account_member_id', filter.accountMemberId) : undefined;
}

type Clause = string & { readonly __clause: unique symbol };

/** A quoted operand: backslashes and quotes escaped, so the value stays one operand. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function eq(field: string, value: string): Clause {
  return `eq(${field},${quote(value)})` as Clause;
}

/** Case-insensitive "contains": Elastic Path's `like` with `*` at both ends. */
function contains(field: string, value: string): Clause {
  return `like(${field},${quote(`*${value}*`)})` as Clause;
}

/** `in(id,…)` over ids that are already validated UUIDs (no quoting needed or wanted). */
function inIds(ids: readonly string[]): Clause {
  return `in(id,${ids.join(',')})` as Clause;
}

/** `eq(field,<uuid>)` for an id field, unquoted: the memberships endpoint documents no quoting. */
function eqId(field: string, uuid: string): Clause {
  if (!isUuid(uuid)) throw new TypeError(`${field} filter takes a validated UUID`);
  return `eq(${field},${uuid})` as Clause;
}

/** Joins clauses with `:` (AND); `undefined` when there are none. */
function allOf(clauses: ReadonlyArray<Clause | undefined>): string | undefined {
  const present = clauses.filter((clause): clause is Clause => clause !== undefined);
  return present.length > 0 ? present.join(':') : undefined;
}
