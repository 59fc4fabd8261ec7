/**
 * Typed Elastic Path account-management calls, bound to one caller's credentials. Resolvers and
 * loaders call these methods, never URLs; each method says which resource a 404 means and checks
 * the answer's shape before anything reads it.
 */
import {
  NotFoundError,
  UpstreamStatusError,
  fromUpstream,
  malformed,
  missingToken,
  type UpstreamCall,
} from '../errors.js';
import type { CallerCredentials, UpstreamClient, UpstreamRequest, UpstreamResponse } from './client.js';
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

export interface AccountManagementApi {
  createAccountMembership(accountId: string, accountMemberId: string): Promise<SingleDto<AccountMembershipDto>>;
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
export interface CallScope extends Pick<UpstreamRequest, 'signal' | 'meter'> {
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
  credentials: CallerCredentials | null,
  scope: CallScope = {},
): AccountManagementApi {
  const { signal, meter, budget, reads } = scope;

  function send(caller: CallerCredentials, request: Omit<UpstreamRequest, 'signal' | 'meter'>): Promise<UpstreamResponse> {
    const key = reads && request.method === 'GET' ? `${request.path} ${JSON.stringify(request.query ?? {})}` : undefined;
    const shared = key === undefined ? undefined : reads?.get(key);
    if (shared) return shared;
    budget?.spend();
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

  return {
    createAccountMembership(accountId, accountMemberId) {
      const body: CreateAccountMembershipBody = {
        data: { type: 'account_membership', account_member_id: accountMemberId },
      };
      return call(
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
    },

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

/** `included.<key>`, when present, must be an array of well-formed records. */
function includedOf(value: unknown, key: string, isItem: (item: unknown) => boolean): boolean {
  const included = (value as { included?: unknown }).included;
  if (included === undefined) return true;
  if (typeof included !== 'object' || included === null) return false;
  const items = (included as Record<string, unknown>)[key];
  return items === undefined || (Array.isArray(items) && items.every(isItem));
}
