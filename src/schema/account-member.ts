/** `AccountMember`: a person who can act for accounts. Loaded per request through the member loader. */
import { builder } from '../builder.js';
import { NotFoundError, asTopLevel } from '../errors.js';
import { isUuid } from '../ids.js';
import { gatewayError, ErrorCode } from '../errors.js';
import type { Context } from '../context.js';
import type { AccountMemberDto } from '../upstream/dto.js';

/**
 * A member as far as it is known: always the id, and the record when a response already carried
 * it. Fields beyond `id` load the record once per request, so `accountMember { id }` is free.
 */
export interface AccountMemberRef {
  id: string;
  dto?: AccountMemberDto;
}

async function record(member: AccountMemberRef, context: Context): Promise<AccountMemberDto> {
  if (member.dto) return member.dto;
  try {
    return await context.loaders.accountMember.load(member.id);
  } catch (error) {
    throw asTopLevel(error);
  }
}

export const AccountMember = builder.objectRef<AccountMemberRef>('AccountMember').implement({
  description: 'An Elastic Path account member: a person who can transact on behalf of accounts.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Elastic Path account member id (a UUID).' }),
    name: t.string({
      nullable: true,
      description: 'Full name.',
      resolve: async (member, _args, context) => (await record(member, context)).name ?? null,
    }),
    email: t.string({
      nullable: true,
      description: 'Email address.',
      resolve: async (member, _args, context) => (await record(member, context)).email ?? null,
    }),
    givenName: t.string({
      nullable: true,
      description: 'Given name, when set (not derived from `name`).',
      resolve: async (member, _args, context) => (await record(member, context)).given_name ?? null,
    }),
    middleName: t.string({
      nullable: true,
      description: 'Middle name, when set (not derived from `name`).',
      resolve: async (member, _args, context) => (await record(member, context)).middle_name ?? null,
    }),
    familyName: t.string({
      nullable: true,
      description: 'Family name, when set (not derived from `name`).',
      resolve: async (member, _args, context) => (await record(member, context)).family_name ?? null,
    }),
    createdAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the member was created; null where Elastic Path does not say.',
      resolve: async (member, _args, context) => (await record(member, context)).meta?.timestamps?.created_at ?? null,
    }),
    updatedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the member was last updated; null where Elastic Path does not say.',
      resolve: async (member, _args, context) => (await record(member, context)).meta?.timestamps?.updated_at ?? null,
    }),
  }),
});

builder.queryField('accountMember', (t) =>
  t.field({
    type: AccountMember,
    nullable: true,
    description: 'One account member by id, or null when Elastic Path has none with that id.',
    args: { id: t.arg.id({ required: true, description: 'Account member id (a UUID).' }) },
    resolve: async (_root, { id }, context) => {
      if (!isUuid(id)) {
        throw gatewayError(ErrorCode.BAD_USER_INPUT, `id must be an Elastic Path id (a UUID); got ${JSON.stringify(id.slice(0, 60))}.`);
      }
      try {
        return { id, dto: await context.loaders.accountMember.load(id) };
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw asTopLevel(error);
      }
    },
  }),
);
