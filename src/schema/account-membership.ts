/** `AccountMembership`: an account member's place in an account, and the mutation that creates one. */
import { builder } from '../builder.js';
import {
  MembershipAlreadyExistsError,
  MembershipLimitReachedError,
  NotFoundError,
  ValidationError,
} from '../errors.js';
import { requireUuid } from '../ids.js';
import type { AccountMembershipDto } from '../upstream/dto.js';
import { AccountMember } from './account-member.js';

/** Elastic Path's membership record never names its account; the path it came from does. */
export interface AccountMembershipShape {
  accountId: string;
  dto: AccountMembershipDto;
}

export const AccountMembership = builder.objectRef<AccountMembershipShape>('AccountMembership').implement({
  description: 'The membership of one account member in one account.',
  fields: (t) => ({
    id: t.id({ description: 'Elastic Path account membership id (a UUID).', resolve: (m) => m.dto.id }),
    accountId: t.exposeID('accountId', { description: 'The account this membership belongs to.' }),
    accountMember: t.field({
      type: AccountMember,
      description: 'The member. Selecting only `id` costs no extra Elastic Path call.',
      resolve: (m) => ({ id: m.dto.relationships.account_member.data.id }),
    }),
    createdAt: t.field({
      type: 'DateTime',
      description: 'When the membership was created.',
      resolve: (m) => m.dto.meta.timestamps.created_at,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the membership was last updated.',
      resolve: (m) => m.dto.meta.timestamps.updated_at,
    }),
  }),
});

builder.mutationField('createAccountMembership', (t) =>
  t.field({
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
      return { accountId, dto: data };
    },
  }),
);
