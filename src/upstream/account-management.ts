/**
 * Typed Elastic Path account-management calls, bound to one caller's credentials. Resolvers and
 * loaders call these methods, never URLs; each method declares what its statuses mean (the
 * create's 400, 404 and 409, a list's 404; `StatusMeanings`) and checks the answer's shape before
 * anything reads it. What every call shares (401, 403, 429, 5xx) is mapped in `src/domain/errors.ts`.
 * The calls are made by `caller.ts`; the writes live in `membership-writes.ts`, the reads in `reads.ts`.
 */
import { createCaller, type CallScope } from './caller.js';
import type { CallMeter, CallerCredentials, UpstreamClient } from './client.js';
import type {
  AccountDto,
  AccountMemberDto,
  AccountMembershipDto,
  IncludedAccountMembers,
  IncludedAccounts,
  MemberAccountMembershipDto,
  PageDto,
  SingleDto,
} from './dto.js';
import type { AccountFilter, MemberFilter, MembershipFilter } from './filter.js';
import { membershipWrites } from './membership-writes.js';
import { accountManagementReads } from './reads.js';

export type { CallScope } from './caller.js';
export { RequestReads, changedByMembershipWrite, type ChangedBy } from './request-reads.js';
export { judge } from './membership-writes.js';

/** Elastic Path's `page[limit]` / `page[offset]`. */
export interface PageRequest {
  limit: number;
  offset: number;
}

/** A page of a list, narrowed by that list's own filter type (`./filter.ts` builds the expression). */
export interface ListOptions<Filter = never> {
  page: PageRequest;
  filter?: Filter;
}

/** One membership as an answer carried it, with its member when the answer included it. */
export type MembershipAnswer = SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers };

/**
 * What an ensure's write did: `CREATED` the membership, found it `EXISTED` before the write, or
 * `UNCERTAIN`: its answer was lost, and the membership found has a `created_at` too close to the
 * moment the write left to tell which.
 */
export type WriteOutcome = 'CREATED' | 'EXISTED' | 'UNCERTAIN';

/** An ensured membership, with what this call's write did. */
export type EnsuredMembershipAnswer = MembershipAnswer & { outcome: WriteOutcome };

export interface MembershipWriteOptions {
  /**
   * Ask for the member to be included when the membership has to be read back (after a 409, or
   * after a lost answer), so that its fields cost no further lookup.
   */
  includeMember: boolean;
}

export interface EnsureOptions extends MembershipWriteOptions {
  /**
   * Asked once the POST has been sent (and has taken its connection slot, rate start and call
   * budget): true lets the memberships list filtered by the member be read beside it, so that a
   * 409 needs no lookup after it. Without it, or when it answers false, a 409 is looked up after.
   */
  lookupBeside?: () => boolean;
}

/**
 * What looking up a write whose answer was lost found: it `landed` (a create's membership made
 * after the write left, or a delete's membership gone), it was there already (`existing`: the
 * create was a duplicate), it is there but `uncertain` whose it is, it is `absent` (a create's
 * membership not found, a delete's still there: proves nothing, lists lag writes), or the lookup
 * `failed` or could not run (no time or budget left).
 */
export type ReconciliationOutcome = 'landed' | 'existing' | 'uncertain' | 'absent' | 'failed';

/** An operation's counters, with its reconciliations by outcome. */
export interface OperationMeter extends CallMeter {
  reconciliations?: Partial<Record<ReconciliationOutcome, number>>;
}

export interface AccountManagementApi {
  /**
   * True when a read started now would find a connection slot free and a call left in the
   * request's budget: what a read beside a write may take, after the write has taken its own.
   */
  roomBeside(): boolean;
  /**
   * POST one membership. When the answer is lost (a timeout, a dropped connection or the
   * operation ending after sending), the membership is looked up before answering: found and
   * made after this write left, it is returned as if the answer had come; found and older, the
   * write was a duplicate (`MembershipAlreadyExistsError`); found but too close to tell, or not
   * found, `WRITE_OUTCOME_UNKNOWN`. Never sent twice.
   */
  createAccountMembership(accountId: string, accountMemberId: string, options?: MembershipWriteOptions): Promise<MembershipAnswer>;
  /**
   * The membership, created by one POST when it did not exist. The outcome is the POST's: 201 is
   * `CREATED`, 409 `EXISTED`, with the membership read from the list filtered by
   * `account_member_id`: beside the POST when `lookupBeside` allows, otherwise (or when that read
   * came back empty or failed: lists lag behind writes) after the 409. A lost answer is looked up
   * as in `createAccountMembership`; a membership found too close to the write to tell is `UNCERTAIN`.
   */
  ensureAccountMembership(accountId: string, accountMemberId: string, options?: EnsureOptions): Promise<EnsuredMembershipAnswer>;
  /** The membership of one member in one account (`filter=eq(account_member_id,…)`), or undefined. */
  findAccountMembership(accountId: string, accountMemberId: string, options: MembershipWriteOptions): Promise<MembershipAnswer | undefined>;
  getAccountMembership(
    accountId: string,
    id: string,
    options: { includeMember: boolean },
  ): Promise<SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers }>;
  listAccountMemberships(
    accountId: string,
    options: ListOptions<MembershipFilter> & { includeMembers: boolean },
  ): Promise<PageDto<AccountMembershipDto, IncludedAccountMembers>>;
  /** DELETE one membership; a lost answer is looked up by id: gone, it is answered as deleted. */
  deleteAccountMembership(accountId: string, id: string): Promise<void>;
  listUnassignedAccountMembers(accountId: string, options: ListOptions<MemberFilter>): Promise<PageDto<AccountMemberDto>>;
  getAccountMember(id: string): Promise<AccountMemberDto>;
  listAccountMembers(options: ListOptions<MemberFilter>): Promise<PageDto<AccountMemberDto>>;
  listMemberAccountMemberships(
    accountMemberId: string,
    options: ListOptions & { includeAccounts: boolean },
  ): Promise<PageDto<MemberAccountMembershipDto, IncludedAccounts>>;
  getAccount(id: string): Promise<AccountDto>;
  listAccounts(options: ListOptions<AccountFilter>): Promise<PageDto<AccountDto>>;
}

export function createAccountManagementApi(
  client: UpstreamClient,
  /** An error (credentials sent but refused, see `credentialsFrom`) is thrown by every call. */
  credentials: CallerCredentials | Error | null,
  scope: CallScope = {},
): AccountManagementApi {
  const caller = createCaller(client, credentials, scope);
  return { ...membershipWrites(caller, client), ...accountManagementReads(caller), roomBeside: caller.roomBeside };
}
