/**
 * The memberships of one account: create, list (`include=account_member`), get, delete, and
 * the members not yet in the account.
 */
import type { AccountMemberDto, AccountMembershipDto, IncludedAccountMembers, SingleDto } from '../../upstream/dto.js';
import { isObject } from '../../upstream/json.js';
import { pathParam, type Handler, type RequestContext } from '../context.js';
import { accountNotFound, badRequest, membershipNotFound, validationFailed } from '../errors.js';
import { textField } from '../filter.js';
import { accountMemberUrl, membershipUrl, withSelfLink } from '../links.js';
import { distinct, includes, listPage, type ListSpec } from '../listing.js';
import { TIMESTAMP_AND_ID_SORTS } from '../sort.js';
import type { StoredAccountMember, StoredMembership } from '../store.js';
import { MEMBER_NAME_FILTERS } from './account-members.js';

const MEMBERSHIP_LIST: ListSpec<StoredMembership> = {
  filters: { account_member_id: textField(['eq', 'like'], (membership) => membership.memberId) },
  sorts: TIMESTAMP_AND_ID_SORTS,
};

const UNASSIGNED_MEMBER_LIST: ListSpec<StoredAccountMember> = {
  filters: MEMBER_NAME_FILTERS,
  sorts: TIMESTAMP_AND_ID_SORTS,
};

type MembershipBody = SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers };

export const createAccountMembership: Handler = (context) => {
  const memberId = readCreateBody(context.body);
  const accountId = pathParam(context, 'accountId');
  const dto = context.store.addMembership(accountId, memberId);
  const self = membershipUrl(context.origin, accountId, dto.id);
  const body: MembershipBody = { data: dto, links: { self } };
  context.integrations.emit('account-membership.created', withSelfLink(dto, self));
  return { status: 201, body };
};

export const listAccountMemberships: Handler = (context) => {
  const { store, origin } = context;
  const accountId = pathParam(context, 'accountId');
  const memberships = store.membershipsOfAccount(accountId);
  if (memberships === undefined) throw accountNotFound();
  const includeMembers = includes(context, 'account_member');
  const { records, page } = listPage(context, memberships, MEMBERSHIP_LIST, (membership) =>
    withSelfLink(membership.dto, membershipUrl(origin, accountId, membership.id)),
  );
  const included = includeMembers ? includedMembers(context, records) : undefined;
  return { status: 200, body: included === undefined ? page : { ...page, included } };
};

export const getAccountMembership: Handler = (context) => {
  const membership = findMembership(context);
  const included = includes(context, 'account_member') ? includedMembers(context, [membership]) : undefined;
  const body: MembershipBody = {
    data: membership.dto,
    links: { self: membershipUrl(context.origin, membership.accountId, membership.id) },
    ...(included && { included }),
  };
  return { status: 200, body };
};

export const deleteAccountMembership: Handler = (context) => {
  const membership = findMembership(context);
  context.store.removeMembership(membership.accountId, membership.id);
  context.integrations.emit('account-membership.deleted', membership.dto);
  return { status: 204 };
};

export const listUnassignedAccountMembers: Handler = (context) => {
  const { store, origin } = context;
  const memberships = store.membershipsOfAccount(pathParam(context, 'accountId'));
  if (memberships === undefined) throw accountNotFound();
  const { page } = listPage(
    context,
    store.members,
    UNASSIGNED_MEMBER_LIST,
    (member) => withSelfLink(member.dto, accountMemberUrl(origin, member.id)),
    (member) => !memberships.has(member.id),
  );
  return { status: 200, body: page };
};

function findMembership(context: RequestContext): StoredMembership {
  const accountId = pathParam(context, 'accountId');
  if (context.store.getAccount(accountId) === undefined) throw accountNotFound();
  const membership = context.store.getMembership(accountId, pathParam(context, 'membershipId'));
  if (membership === undefined) throw membershipNotFound();
  return membership;
}

/** Elastic Path leaves `included` out altogether when there is nothing to include. */
function includedMembers(context: RequestContext, memberships: readonly StoredMembership[]): IncludedAccountMembers | undefined {
  const members: AccountMemberDto[] = distinct(memberships.map((membership) => context.store.getMember(membership.memberId)?.dto));
  return members.length > 0 ? { account_members: members } : undefined;
}

/** The account member id from a create body, after the checks Elastic Path makes on the body. */
function readCreateBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data)) throw badRequest("the request body must be a JSON object with a 'data' object");
  if (data.type !== 'account_membership') throw validationFailed('Type', 'account-membership-type', 422);
  if (typeof data.account_member_id !== 'string' || data.account_member_id === '') {
    throw validationFailed('AccountMemberID', 'required', 422);
  }
  return data.account_member_id;
}
