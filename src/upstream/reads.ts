/** The account-management reads: memberships, members and accounts, one page or one record each. */
import type { AccountManagementApi } from './account-management.js';
import { INPUT_REFUSED, includedOf, ofAccount, ofMember, ofMembership, pageQuery, type Caller } from './caller.js';
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
import { accountFilterExpression, memberFilterExpression, membershipFilterExpression } from './filter.js';
import { epRoute } from './path.js';
import { isAccount, isAccountMember, isAccountMembership, isMemberAccountMembership, isPage, isSingle } from './shapes.js';

type AccountManagementReads = Pick<
  AccountManagementApi,
  | 'getAccountMembership'
  | 'listAccountMemberships'
  | 'listUnassignedAccountMembers'
  | 'getAccountMember'
  | 'listAccountMembers'
  | 'listMemberAccountMemberships'
  | 'getAccount'
  | 'listAccounts'
>;

export function accountManagementReads({ call }: Caller): AccountManagementReads {
  return {
    getAccountMembership(accountId, id, { includeMember }) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships/{membershipId}', { accountId, membershipId: id }),
          query: { include: includeMember ? 'account_member' : undefined },
        },
        ofMembership(accountId, id),
        (value): value is SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers } =>
          isSingle(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
      );
    },

    listAccountMemberships(accountId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }),
          query: {
            ...pageQuery(options.page, membershipFilterExpression(options.filter)),
            include: options.includeMembers ? 'account_member' : undefined,
          },
        },
        ofAccount(accountId),
        (value): value is PageDto<AccountMembershipDto, IncludedAccountMembers> =>
          isPage(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
      );
    },

    listUnassignedAccountMembers(accountId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/accounts/{accountId}/account-memberships/unassigned-account-members', { accountId }),
          query: pageQuery(options.page, memberFilterExpression(options.filter)),
        },
        ofAccount(accountId),
        (value): value is PageDto<AccountMemberDto> => isPage(value, isAccountMember),
      );
    },

    async getAccountMember(id) {
      const { data } = await call(
        { method: 'GET', ...epRoute('/v2/account-members/{accountMemberId}', { accountMemberId: id }) },
        ofMember(id),
        (value) => isSingle(value, isAccountMember),
      );
      return data;
    },

    listAccountMembers(options) {
      return call(
        { method: 'GET', ...epRoute('/v2/account-members'), query: pageQuery(options.page, memberFilterExpression(options.filter)) },
        // The collection always exists: a 404 here is no answer about a record (shared map: UPSTREAM_ERROR).
        INPUT_REFUSED,
        (value): value is PageDto<AccountMemberDto> => isPage(value, isAccountMember),
      );
    },

    listMemberAccountMemberships(accountMemberId, options) {
      return call(
        {
          method: 'GET',
          ...epRoute('/v2/account-members/{accountMemberId}/account-memberships', { accountMemberId }),
          query: { ...pageQuery(options.page), include: options.includeAccounts ? 'account' : undefined },
        },
        ofMember(accountMemberId),
        (value): value is PageDto<MemberAccountMembershipDto, IncludedAccounts> =>
          isPage(value, isMemberAccountMembership) && includedOf(value, 'accounts', isAccount),
      );
    },

    async getAccount(id) {
      const { data } = await call({ method: 'GET', ...epRoute('/v2/accounts/{accountId}', { accountId: id }) }, ofAccount(id), (value) =>
        isSingle(value, isAccount),
      );
      return data;
    },

    listAccounts(options) {
      return call(
        { method: 'GET', ...epRoute('/v2/accounts'), query: pageQuery(options.page, accountFilterExpression(options.filter)) },
        // The collection always exists: a 404 here is no answer about a record (shared map: UPSTREAM_ERROR).
        INPUT_REFUSED,
        (value): value is PageDto<AccountDto> => isPage(value, isAccount),
      );
    },
  };
}
