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
import type { CallerCredentials, UpstreamClient, UpstreamRequest } from './client.js';
import type { AccountMemberDto, AccountMembershipDto, CreateAccountMembershipBody, SingleDto } from './dto.js';
import { isAccountMember, isAccountMembership, isSingle } from './shapes.js';
import { epPath } from './path.js';

export interface AccountManagementApi {
  createAccountMembership(accountId: string, accountMemberId: string): Promise<SingleDto<AccountMembershipDto>>;
  getAccountMember(id: string): Promise<AccountMemberDto>;
}

export function createAccountManagementApi(
  client: UpstreamClient,
  credentials: CallerCredentials | null,
  signal?: AbortSignal,
): AccountManagementApi {
  async function call<T>(
    request: Omit<UpstreamRequest, 'signal'>,
    about: UpstreamCall,
    isExpected: (body: unknown) => body is T,
  ): Promise<T> {
    // Checked here, before any I/O, so a call without a token never leaves the gateway.
    if (!credentials) throw missingToken();
    let body: unknown;
    try {
      ({ body } = await client.send(credentials, { ...request, signal }));
    } catch (error) {
      throw error instanceof UpstreamStatusError ? fromUpstream(error.upstream, about) : error;
    }
    if (!isExpected(body)) throw malformed('an answer of an unexpected shape', 200);
    return body;
  }

  return {
    createAccountMembership(accountId, accountMemberId) {
      const body: CreateAccountMembershipBody = {
        data: { type: 'account_membership', account_member_id: accountMemberId },
      };
      return call(
        { method: 'POST', path: epPath`/v2/accounts/${accountId}/account-memberships`, body },
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

    async getAccountMember(id) {
      const { data } = await call(
        { method: 'GET', path: epPath`/v2/account-members/${id}` },
        { notFound: () => new NotFoundError('AccountMember', id) },
        (value) => isSingle(value, isAccountMember),
      );
      return data;
    },
  };
}
