/** `AccountMembership`: an account member's place in an account; its queries and mutations. */
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import {
  MembershipAlreadyExistsError,
  MembershipLimitReachedError,
  NotFoundError,
  ValidationError,
} from '../errors.js';
import { isUuid, requireUuid } from '../ids.js';
import type { AccountMembershipDto, MemberAccountMembershipDto } from '../upstream/dto.js';
import { eqId } from '../upstream/filter.js';
import { Account, primeAccounts } from './account.js';
import { AccountMember, primeMembers } from './account-member.js';
import { pageRequest, toConnection } from './pagination.js';
import { nullIfNotFound, orTopLevelError, uuidArgument } from './resolve.js';
import { selectsBeyondId } from './selection.js';

/**
 * One membership, whichever side it was read from. Elastic Path's record names only the other
 * side (the member when read from the account, the account when read from the member); the path
 * it came from supplies the rest.
 */
export interface AccountMembershipShape {
  id: string;
  accountId: string;
  accountMemberId: string;
  createdAt: string;
  updatedAt: string;
}

const fromAccountSide = (accountId: string, dto: AccountMembershipDto): AccountMembershipShape => ({
  id: dto.id,
  accountId,
  accountMemberId: dto.relationships.account_member.data.id,
  createdAt: dto.meta.timestamps.created_at,
  updatedAt: dto.meta.timestamps.updated_at,
});

const fromMemberSide = (accountMemberId: string, dto: MemberAccountMembershipDto): AccountMembershipShape => ({
  id: dto.id,
  accountId: dto.relationships.account.data.id,
  accountMemberId,
  createdAt: dto.meta.timestamps.created_at,
  updatedAt: dto.meta.timestamps.updated_at,
});

export const AccountMembership = builder.objectRef<AccountMembershipShape>('AccountMembership').implement({
  description: 'The membership of one account member in one account.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Elastic Path account membership id (a UUID).' }),
    accountId: t.exposeID('accountId', { description: 'The account this membership belongs to.' }),
    account: t.field({
      type: Account,
      description: 'The account. Selecting only `id` costs no extra Elastic Path call.',
      resolve: (membership) => ({ id: membership.accountId }),
    }),
    accountMember: t.field({
      type: AccountMember,
      description: 'The member. Selecting only `id` costs no extra Elastic Path call.',
      resolve: (membership) => ({ id: membership.accountMemberId }),
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When the membership was created.',
      resolve: (membership) => membership.createdAt,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the membership was last updated.',
      resolve: (membership) => membership.updatedAt,
    }),
  }),
});

// A membership's id is unique only within its account, so the key names both.
builder.asEntity(AccountMembership, {
  key: builder.selection<{ accountId: string; id: string }>('accountId id'),
  resolveReference: ({ accountId, id }, context) =>
    isUuid(accountId) && isUuid(id)
      ? nullIfNotFound(async () =>
          fromAccountSide(accountId, await context.loaders.accountMembership.load({ accountId, id })),
        )
      : null,
});

export const AccountMembershipConnection = builder.connectionObject(
  { type: AccountMembership, name: 'AccountMembershipConnection', description: 'A page of account memberships.' },
  { name: 'AccountMembershipEdge' },
);

const DeletedAccountMembership = builder
  .objectRef<{ id: string; accountId: string }>('DeletedAccountMembership')
  .implement({
    description: 'The membership that was removed.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'The removed membership id.' }),
      accountId: t.exposeID('accountId', { description: 'The account it was removed from.' }),
    }),
  });

interface MembershipPageArgs {
  first?: number | null;
  after?: string | null;
  accountMemberId?: string | null;
}

/** One request for the page: members are included only when the selection needs more than their ids. */
async function accountMemberships(
  accountId: string,
  args: MembershipPageArgs,
  context: Context,
  includeMembers: boolean,
) {
  const page = pageRequest(args);
  const memberId = args.accountMemberId != null ? uuidArgument(args.accountMemberId, 'accountMemberId') : undefined;
  const result = await context.api.listAccountMemberships(accountId, {
    page,
    filter: memberId ? eqId('account_member_id', memberId) : undefined,
    includeMembers,
  });
  primeMembers(result.included?.account_members, context);
  return toConnection(result, page, (dto) => fromAccountSide(accountId, dto));
}

const MEMBER_FIELDS_OF_PAGE = ['edges', 'node', 'accountMember'] as const;

builder.objectField(Account, 'memberships', (t) =>
  t.field({
    type: AccountMembershipConnection,
    description: 'The account\'s memberships, newest first, page by page.',
    args: {
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      accountMemberId: t.arg.id({ description: 'Only the membership of this account member.' }),
    },
    resolve: (account, args, context, info) =>
      orTopLevelError(() =>
        accountMemberships(account.id, args, context, selectsBeyondId(info, MEMBER_FIELDS_OF_PAGE)),
      ),
  }),
);

builder.objectField(AccountMember, 'memberships', (t) =>
  t.field({
    type: AccountMembershipConnection,
    description: 'Every account this member belongs to, as memberships, page by page.',
    args: {
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
    },
    resolve: (member, args, context, info) =>
      orTopLevelError(async () => {
        const page = pageRequest(args);
        const result = await context.api.listMemberAccountMemberships(member.id, {
          page,
          includeAccounts: selectsBeyondId(info, ['edges', 'node', 'account']),
        });
        primeAccounts(result.included?.accounts, context);
        return toConnection(result, page, (dto) => fromMemberSide(member.id, dto));
      }),
  }),
);

builder.queryFields((t) => ({
  accountMembership: t.field({
    type: AccountMembership,
    nullable: true,
    description: 'One membership of an account, or null when the account or the membership does not exist.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }),
      id: t.arg.id({ required: true, description: 'The membership (a UUID).' }),
    },
    resolve: (_root, args, context, info) => {
      const accountId = uuidArgument(args.accountId, 'accountId');
      const id = uuidArgument(args.id, 'id');
      return nullIfNotFound(async () => {
        const result = await context.api.getAccountMembership(accountId, id, {
          includeMember: selectsBeyondId(info, ['accountMember']),
        });
        primeMembers(result.included?.account_members, context);
        return fromAccountSide(accountId, result.data);
      });
    },
  }),
  accountMemberships: t.field({
    type: AccountMembershipConnection,
    description:
      'The memberships of an account, newest first, page by page (GET /v2/accounts/{accountId}/account-memberships). A missing account is a NOT_FOUND error.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }),
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      accountMemberId: t.arg.id({ description: 'Only the membership of this account member.' }),
    },
    resolve: (_root, args, context, info) =>
      orTopLevelError(() =>
        accountMemberships(
          uuidArgument(args.accountId, 'accountId'),
          args,
          context,
          selectsBeyondId(info, MEMBER_FIELDS_OF_PAGE),
        ),
      ),
  }),
}));

builder.mutationFields((t) => ({
  createAccountMembership: t.field({
    type: AccountMembership,
    description:
      'Adds an account member to an account (POST /v2/accounts/{accountId}/account-memberships). An account holds at most 1000 memberships.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account to add the member to (a UUID).' }),
      accountMemberId: t.arg.id({ required: true, description: 'The account member to add (a UUID).' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, MembershipAlreadyExistsError, MembershipLimitReachedError],
      union: { name: 'CreateAccountMembershipResult', description: 'The new membership, or why it was not created.' },
    },
    resolve: async (_root, args, context) => {
      const accountId = requireUuid(args.accountId, 'accountId');
      const accountMemberId = requireUuid(args.accountMemberId, 'accountMemberId');
      const { data } = await context.api.createAccountMembership(accountId, accountMemberId);
      return fromAccountSide(accountId, data);
    },
  }),
  deleteAccountMembership: t.field({
    type: DeletedAccountMembership,
    description:
      'Removes a membership from an account (DELETE /v2/accounts/{accountId}/account-memberships/{id}). The member itself is kept.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }),
      id: t.arg.id({ required: true, description: 'The membership to remove (a UUID).' }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      union: { name: 'DeleteAccountMembershipResult', description: 'The removed membership, or why nothing was removed.' },
    },
    resolve: async (_root, args, context) => {
      const accountId = requireUuid(args.accountId, 'accountId');
      const id = requireUuid(args.id, 'id');
      await context.api.deleteAccountMembership(accountId, id);
      return { id, accountId };
    },
  }),
}));
