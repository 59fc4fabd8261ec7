/**
 * Typed Elastic Path account-management calls, bound to one caller's credentials. Resolvers and
 * loaders call these methods, never URLs; each method says which resource a 404 means and checks
 * the answer's shape before anything reads it.
 */
import {
  ErrorCode,
  MembershipAlreadyExistsError,
  NotFoundError,
  UnansweredWriteError,
  UpstreamStatusError,
  gatewayError,
  fromUpstream,
  malformed,
  missingToken,
  type UpstreamCall,
} from '../errors.js';
import type { CallMeter, CallerCredentials, UpstreamClient, UpstreamRequest, UpstreamResponse } from './client.js';
import type {
  AccountDto,
  AccountMemberDto,
  AccountMembershipDto,
  CreateAccountMembershipBody,
  IncludedAccountMembers,
  IncludedAccounts,
  MemberAccountMembershipDto,
  PageDto,
  SingleDto,
} from './dto.js';
import { eqId } from './filter.js';
import { epRoute } from './path.js';
import {
  isAccount,
  isAccountMember,
  isAccountMembership,
  isMemberAccountMembership,
  isPage,
  isSingle,
} from './shapes.js';

/** Elastic Path's `page[limit]` / `page[offset]`. */
export interface PageRequest {
  limit: number;
  offset: number;
}

export interface ListOptions {
  page: PageRequest;
  /** A filter expression built with `./filter.js`. */
  filter?: string;
}

/** One membership as an answer carried it, with its member when the answer included it. */
export type MembershipAnswer = SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers };

/** An ensured membership: `created` when this call's write made it, otherwise it was there already. */
export type EnsuredMembershipAnswer = MembershipAnswer & { created: boolean };

export interface MembershipWriteOptions {
  /**
   * Ask for the member to be included when the membership has to be read back (after a 409, or
   * after a lost answer), so that its fields cost no further lookup.
   */
  includeMember: boolean;
}

/**
 * What looking up a write whose answer was lost found: it `landed` (made by this write), it was
 * there already (`existing`: the write was refused as a duplicate), it is `absent`, or the lookup
 * itself `failed`.
 */
export type ReconciliationOutcome = 'landed' | 'existing' | 'absent' | 'failed';

/** An operation's counters, with its reconciliations by outcome. */
export interface OperationMeter extends CallMeter {
  reconciliations?: Partial<Record<ReconciliationOutcome, number>>;
}

export interface AccountManagementApi {
  /**
   * POST one membership. When the answer is lost (a timeout or a dropped connection after
   * sending), the membership is looked up before answering: found and new, it is returned as if
   * the answer had come; found and older than this write, the write was a duplicate
   * (`MembershipAlreadyExistsError`); otherwise the transport failure stands. Never sent twice.
   */
  createAccountMembership(
    accountId: string,
    accountMemberId: string,
    options?: MembershipWriteOptions,
  ): Promise<MembershipAnswer>;
  /**
   * The membership, created by one POST when it did not exist; after a 409 it is read with the
   * list filtered by `account_member_id`. A lost answer is reconciled as in `createAccountMembership`.
   */
  ensureAccountMembership(
    accountId: string,
    accountMemberId: string,
    options?: MembershipWriteOptions,
  ): Promise<EnsuredMembershipAnswer>;
  /** The membership of one member in one account (`filter=eq(account_member_id,…)`), or undefined. */
  findAccountMembership(
    accountId: string,
    accountMemberId: string,
    options: MembershipWriteOptions,
  ): Promise<MembershipAnswer | undefined>;
  getAccountMembership(
    accountId: string,
    id: string,
    options: { includeMember: boolean },
  ): Promise<SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers }>;
  listAccountMemberships(
    accountId: string,
    options: ListOptions & { includeMembers: boolean },
  ): Promise<PageDto<AccountMembershipDto, IncludedAccountMembers>>;
  deleteAccountMembership(accountId: string, id: string): Promise<void>;
  listUnassignedAccountMembers(accountId: string, options: ListOptions): Promise<PageDto<AccountMemberDto>>;
  getAccountMember(id: string): Promise<AccountMemberDto>;
  listAccountMembers(options: ListOptions): Promise<PageDto<AccountMemberDto>>;
  listMemberAccountMemberships(
    accountMemberId: string,
    options: ListOptions & { includeAccounts: boolean },
  ): Promise<PageDto<MemberAccountMembershipDto, IncludedAccounts>>;
  getAccount(id: string): Promise<AccountDto>;
  listAccounts(options: ListOptions): Promise<PageDto<AccountDto>>;
}

const pageQuery = ({ page, filter }: ListOptions): Record<string, string | undefined> => ({
  'page[limit]': String(page.limit),
  'page[offset]': String(page.offset),
  filter,
});

/** What every call of one operation shares: its deadline, its counters (with its trace), and its request's budget and reads. */
export interface CallScope extends Pick<UpstreamRequest, 'signal'> {
  /** The operation's counters: calls and retries (the client's), reconciliations (this module's). */
  meter?: OperationMeter;
  /** The request's call budget: each call spends one first, and `spend` throws once none is left. */
  budget?: { spend(): void };
  /**
   * The request's GETs by path and query: an identical read within the request shares the first
   * one's answer instead of calling again. Per request, so nothing is ever shared between callers.
   */
  reads?: Map<string, Promise<UpstreamResponse>>;
}

export function createAccountManagementApi(
  client: UpstreamClient,
  /** An error (credentials sent but refused, see `credentialsFrom`) is thrown by every call. */
  credentials: CallerCredentials | Error | null,
  scope: CallScope = {},
): AccountManagementApi {
  const { signal, meter, budget, reads } = scope;

  function send(caller: CallerCredentials, request: Omit<UpstreamRequest, 'signal' | 'meter'>): Promise<UpstreamResponse> {
    const key = reads && request.method === 'GET' ? `${request.path} ${JSON.stringify(request.query ?? {})}` : undefined;
    const shared = key === undefined ? undefined : reads?.get(key);
    if (shared) return shared;
    budget?.spend();
    // Reads made before a write may no longer be true after it.
    if (request.method !== 'GET') reads?.clear();
    const response = client.send(caller, { ...request, signal, meter });
    if (key !== undefined) reads?.set(key, response);
    return response;
  }

  async function call<T>(
    request: Omit<UpstreamRequest, 'signal' | 'meter'>,
    about: UpstreamCall,
    isExpected: (body: unknown) => body is T,
  ): Promise<T> {
    // Checked here, before any I/O, so a call without a token never leaves the gateway.
    if (!credentials) throw missingToken();
    if (credentials instanceof Error) throw credentials;
    let body: unknown;
    let status: number;
    try {
      ({ body, status } = await send(credentials, request));
    } catch (error) {
      throw error instanceof UpstreamStatusError ? fromUpstream(error.upstream, about) : error;
    }
    if (!isExpected(body)) throw malformed('an answer of an unexpected shape', status);
    return body;
  }

  const accountNotFound = (accountId: string): UpstreamCall => ({
    accountId,
    notFound: () => new NotFoundError('Account', accountId),
  });
  const membershipNotFound = (accountId: string, id: string): UpstreamCall => ({
    accountId,
    notFound: (detail) =>
      detail === 'account not found'
        ? new NotFoundError('Account', accountId)
        : new NotFoundError('AccountMembership', id),
  });
  const memberNotFound = (id: string): UpstreamCall => ({ notFound: () => new NotFoundError('AccountMember', id) });
  const isNothing = (body: unknown): body is undefined => body === undefined;

  async function findMembership(
    accountId: string,
    accountMemberId: string,
    { includeMember }: MembershipWriteOptions,
  ): Promise<MembershipAnswer | undefined> {
    const page = await call(
      {
        method: 'GET',
        ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }),
        query: {
          ...pageQuery({ page: { limit: 1, offset: 0 }, filter: eqId('account_member_id', accountMemberId) }),
          include: includeMember ? 'account_member' : undefined,
        },
      },
      accountNotFound(accountId),
      (value): value is PageDto<AccountMembershipDto, IncludedAccountMembers> =>
        isPage(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
    );
    const wanted = accountMemberId.toLowerCase();
    const data = page.data.find((item) => item.relationships.account_member.data.id.toLowerCase() === wanted);
    return data && { data, ...(page.included && { included: page.included }) };
  }

  /**
   * One POST; a 409 is `MembershipAlreadyExistsError`. When its answer is lost, the lookup decides:
   * a membership created since the POST left is this write's; an older one means it was a duplicate.
   */
  async function addMembership(
    accountId: string,
    accountMemberId: string,
    options: MembershipWriteOptions,
  ): Promise<EnsuredMembershipAnswer> {
    const body: CreateAccountMembershipBody = {
      data: { type: 'account_membership', account_member_id: accountMemberId },
    };
    const sentAt = Date.now();
    try {
      const answer = await call(
        { method: 'POST', ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }), body },
        {
          accountId,
          accountMemberId,
          notFound: (detail) =>
            detail === 'account not found'
              ? new NotFoundError('Account', accountId)
              : new NotFoundError('AccountMember', accountMemberId),
        },
        (value) => isSingle(value, isAccountMembership),
      );
      return { ...answer, created: true };
    } catch (error) {
      if (!(error instanceof UnansweredWriteError)) throw error;
      let found: MembershipAnswer | undefined;
      try {
        found = await findMembership(accountId, accountMemberId, options);
      } catch {
        reconciled('failed');
        throw error;
      }
      if (!found) {
        reconciled('absent');
        throw error;
      }
      const created = !isOlderThan(found.data.meta.timestamps.created_at, sentAt - CLOCK_SKEW_MS);
      reconciled(created ? 'landed' : 'existing');
      return { ...found, created };
    }
  }

  function reconciled(outcome: ReconciliationOutcome): void {
    if (!meter) return;
    const counts = (meter.reconciliations ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }

  return {
    async createAccountMembership(accountId, accountMemberId, options = { includeMember: false }) {
      const outcome = await addMembership(accountId, accountMemberId, options);
      if (!outcome.created) throw new MembershipAlreadyExistsError(accountMemberId, accountId);
      return outcome;
    },

    async ensureAccountMembership(accountId, accountMemberId, options = { includeMember: false }) {
      try {
        return await addMembership(accountId, accountMemberId, options);
      } catch (error) {
        if (!(error instanceof MembershipAlreadyExistsError)) throw error;
      }
      const existing = await findMembership(accountId, accountMemberId, options);
      if (!existing) {
        // Elastic Path said it exists, then could not find it: it was removed in between.
        throw gatewayError(
          ErrorCode.CONFLICT,
          `The membership of account member ${accountMemberId} in account ${accountId} changed while it was being ensured. Try again.`,
        );
      }
      return { ...existing, created: false };
    },

    findAccountMembership: findMembership,

    getAccountMembership(accountId, id, { includeMember }) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships/{membershipId}', { accountId, membershipId: id }),
          query: { include: includeMember ? 'account_member' : undefined },
        },
        membershipNotFound(accountId, id),
        (value): value is SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers } =>
          isSingle(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
      );
    },

    listAccountMemberships(accountId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }),
          query: { ...pageQuery(options), include: options.includeMembers ? 'account_member' : undefined },
        },
        accountNotFound(accountId),
        (value): value is PageDto<AccountMembershipDto, IncludedAccountMembers> =>
          isPage(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
      );
    },

    async deleteAccountMembership(accountId, id) {
      await call(
        { method: 'DELETE', ...epRoute('/v2/accounts/{accountId}/account-memberships/{membershipId}', { accountId, membershipId: id }) },
        membershipNotFound(accountId, id),
        isNothing,
      );
    },

    listUnassignedAccountMembers(accountId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships/unassigned-account-members', { accountId }),
          query: pageQuery(options),
        },
        accountNotFound(accountId),
        (value): value is PageDto<AccountMemberDto> => isPage(value, isAccountMember),
      );
    },

    async getAccountMember(id) {
      const { data } = await call(
        { method: 'GET', ...epRoute('/v2/account-members/{accountMemberId}', { accountMemberId: id }) },
        memberNotFound(id),
        (value) => isSingle(value, isAccountMember),
      );
      return data;
    },

    listAccountMembers(options) {
      return call(
        { method: 'GET', ...epRoute('/v2/account-members'), query: pageQuery(options) },
        { notFound: () => new NotFoundError('AccountMember', '(list)') },
        (value): value is PageDto<AccountMemberDto> => isPage(value, isAccountMember),
      );
    },

    listMemberAccountMemberships(accountMemberId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/account-members/{accountMemberId}/account-memberships', { accountMemberId }),
          query: { ...pageQuery(options), include: options.includeAccounts ? 'account' : undefined },
        },
        memberNotFound(accountMemberId),
        (value): value is PageDto<MemberAccountMembershipDto, IncludedAccounts> =>
          isPage(value, isMemberAccountMembership) && includedOf(value, 'accounts', isAccount),
      );
    },

    async getAccount(id) {
      const { data } = await call(
        { method: 'GET', ...epRoute('/v2/accounts/{accountId}', { accountId: id }) },
        accountNotFound(id),
        (value) => isSingle(value, isAccount),
      );
      return data;
    },

    listAccounts(options) {
      return call(
        { method: 'GET', ...epRoute('/v2/accounts'), query: pageQuery(options) },
        { notFound: () => new NotFoundError('Account', '(list)') },
        (value): value is PageDto<AccountDto> => isPage(value, isAccount),
      );
    },
  };
}

/**
 * How far Elastic Path's clock may be from the gateway's when a membership found after a lost
 * answer is judged to be that write's (created after it left) or older.
 */
const CLOCK_SKEW_MS = 30_000;

/** True only when `timestamp` reads as an instant before `instantMs`; an unreadable one is not older. */
function isOlderThan(timestamp: string, instantMs: number): boolean {
  const time = Date.parse(timestamp);
  return Number.isFinite(time) && time < instantMs;
}

/** `included.<key>`, when present, must be an array of well-formed records. */
function includedOf(value: unknown, key: string, isItem: (item: unknown) => boolean): boolean {
  const included = (value as { included?: unknown }).included;
  if (included === undefined) return true;
  if (typeof included !== 'object' || included === null) return false;
  const items = (included as Record<string, unknown>)[key];
  return items === undefined || (Array.isArray(items) && items.every(isItem));
}
