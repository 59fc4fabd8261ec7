/**
 * GET /v2/account-members, GET /v2/account-members/{id} and
 * GET /v2/account-members/{id}/account-memberships (`include=account`).
 */
import type { IncludedAccounts, SingleDto } from '../../upstream/dto.js';
import { pathParam, type Handler } from '../context.js';
import { accountMemberNotFound } from '../errors.js';
import { textField, type FilterFields } from '../filter.js';
import { accountMemberUrl, membershipUrl, withSelfLink } from '../links.js';
import { distinct, includes, listPage, type ListSpec } from '../listing.js';
import { TIMESTAMP_AND_ID_SORTS, byText } from '../sort.js';
import type { StoredAccountMember, StoredMembership } from '../store.js';

const TEXT_OPERATORS = ['eq', 'like', 'ilike'] as const;

/** Name and email: the fields every member list filters on (the unassigned list too). */
export const MEMBER_NAME_FILTERS: FilterFields<StoredAccountMember> = {
  name: textField(TEXT_OPERATORS, (member) => member.dto.name),
  email: textField(TEXT_OPERATORS, (member) => member.dto.email),
};

const MEMBER_LIST: ListSpec<StoredAccountMember> = {
  filters: {
    ...MEMBER_NAME_FILTERS,
    id: textField(['eq', 'in'], (member) => member.id),
    given_name: textField(TEXT_OPERATORS, (member) => member.dto.given_name),
    middle_name: textField(TEXT_OPERATORS, (member) => member.dto.middle_name),
    family_name: textField(TEXT_OPERATORS, (member) => member.dto.family_name),
  },
  sorts: {
    ...TIMESTAMP_AND_ID_SORTS,
    name: byText((member) => member.dto.name),
    email: byText((member) => member.dto.email),
  },
};

const MEMBER_MEMBERSHIP_LIST: ListSpec<StoredMembership> = {
  filters: {
    account_id: textField(['eq', 'like'], (membership) => membership.accountId),
    account_member_id: textField(['eq', 'like'], (membership) => membership.memberId),
  },
  sorts: TIMESTAMP_AND_ID_SORTS,
};

export const listAccountMembers: Handler = (context) => {
  const { page } = listPage(context, context.store.members, MEMBER_LIST, (member) =>
    withSelfLink(member.dto, accountMemberUrl(context.origin, member.id)),
  );
  return { status: 200, body: page };
};

export const getAccountMember: Handler = (context) => {
  const member = context.store.getMember(pathParam(context, 'accountMemberId'));
  if (member === undefined) throw accountMemberNotFound();
  const body: SingleDto<typeof member.dto> = {
    data: member.dto,
    links: { self: accountMemberUrl(context.origin, member.id) },
  };
  return { status: 200, body };
};

export const listMemberAccountMemberships: Handler = (context) => {
  const { store, origin } = context;
  const memberships = store.membershipsOfMember(pathParam(context, 'accountMemberId'));
  if (memberships === undefined) throw accountMemberNotFound();
  const includeAccounts = includes(context, 'account');
  const { records, page } = listPage(context, memberships, MEMBER_MEMBERSHIP_LIST, (membership) =>
    withSelfLink(membership.memberDto, membershipUrl(origin, membership.accountId, membership.id)),
  );
  const accounts = includeAccounts ? distinct(records.map((membership) => store.getAccount(membership.accountId)?.dto)) : [];
  const included: IncludedAccounts | undefined = accounts.length > 0 ? { accounts } : undefined;
  return { status: 200, body: included === undefined ? page : { ...page, included } };
};
