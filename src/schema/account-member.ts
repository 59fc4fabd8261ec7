/** `AccountMember`: a person who can act for accounts. Loaded per request through the member loader. */
import { builder } from './builder.js';
import { cost, typeCost, type TypeCost } from '../cost/declare.js';
import { BATCH_SIZE } from '../upstream/loaders.js';
import { ValidationError } from '../domain/errors.js';
import type { Context } from './context.js';
import type { MemberFilter } from '../upstream/filter.js';
import type { AccountMemberDto } from '../upstream/dto.js';
import { pageCost, pageRequest, toConnection } from './pagination.js';
import { isUuid } from '../domain/ids.js';
import { recordFields, type RecordRef } from './record-ref.js';
import { orTopLevelError, uuidArgument } from './error-adapters.js';
import { afterSpeculativeReads, startReadsOf } from './speculative-reads.js';

/**
 * A member as far as it is known: always the id, and the record when a response already carried
 * it. Fields beyond `id` load the record once per request, so `accountMember { id }` is free.
 */
export type AccountMemberRef = RecordRef<AccountMemberDto>;

const { field, find } = recordFields((context) => context.loaders.accountMember);

/**
 * Makes member records a response carried available to later lookups in the same request, and
 * answers them by id, for refs that carry their record from the start.
 */
export function primeMembers(
  members: readonly AccountMemberDto[] | undefined,
  context: Context,
): ReadonlyMap<string, AccountMemberDto> | undefined {
  if (!members || members.length === 0) return undefined;
  const byId = new Map<string, AccountMemberDto>();
  const loader = context.loaders.accountMember;
  for (const dto of members) {
    loader.prime(dto.id, dto);
    byId.set(dto.id, dto);
  }
  return byId;
}

const toRef = (dto: AccountMemberDto): AccountMemberRef => ({ id: dto.id, dto });

/**
 * A member's record is one GET by id, or with EP_MEMBER_BATCH_LOOKUP one `in(id,…)` call per batch;
 * federation's references read it through the same loader.
 */
const memberCost: TypeCost = {
  records: { batchSize: BATCH_SIZE, batched: (settings) => settings.epMemberBatchLookup },
  reference: { key: ['id'], lookup: true },
};

export const AccountMember = builder.objectRef<AccountMemberRef>('AccountMember').implement({
  description: 'An Elastic Path account member: a person who can transact on behalf of accounts.',
  ...typeCost(memberCost),
  fields: (t) => ({
    id: t.exposeID('id', { ...cost.free(), description: 'Elastic Path account member id (a UUID).' }),
    name: t.string({
      ...cost.record(),
      nullable: true,
      description: 'Full name.',
      resolve: field((dto) => dto.name),
    }),
    email: t.string({
      ...cost.record(),
      nullable: true,
      description: 'Email address.',
      resolve: field((dto) => dto.email),
    }),
    givenName: t.string({
      ...cost.record(),
      nullable: true,
      description: 'Given name, when set (not derived from `name`).',
      resolve: field((dto) => dto.given_name),
    }),
    middleName: t.string({
      ...cost.record(),
      nullable: true,
      description: 'Middle name, when set (not derived from `name`).',
      resolve: field((dto) => dto.middle_name),
    }),
    familyName: t.string({
      ...cost.record(),
      nullable: true,
      description: 'Family name, when set (not derived from `name`).',
      resolve: field((dto) => dto.family_name),
    }),
    createdAt: t.field({
      ...cost.record(),
      type: 'DateTime',
      nullable: true,
      description: 'When the member was created; null where Elastic Path does not say.',
      resolve: field((dto) => dto.meta?.timestamps?.created_at),
    }),
    updatedAt: t.field({
      ...cost.record(),
      type: 'DateTime',
      nullable: true,
      description: 'When the member was last updated; null where Elastic Path does not say.',
      resolve: field((dto) => dto.meta?.timestamps?.updated_at),
    }),
  }),
});

// Other subgraphs reference members by id; representations load through the same per-request
// loader, so many references to one member cost one lookup.
builder.asEntity(AccountMember, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: ({ id }, context) => (isUuid(id) ? find(id.toLowerCase(), context) : null),
});

export const AccountMemberConnection = builder.connectionObject(
  { type: AccountMember, name: 'AccountMemberConnection', description: 'A page of account members.' },
  { name: 'AccountMemberEdge' },
);

/**
 * The longest filter value, in UTF-16 code units. Elastic Path refuses a filtered request of 8 KB or
 * more (the emulator answers 414); four values this long, each character URL-encoded as up to 9
 * bytes, still make a URL under 5 KB.
 */
const MAX_FILTER_VALUE_LENGTH = 128;

export const AccountMemberFilter = builder.inputType('AccountMemberFilter', {
  description: `Narrows a list of account members. Every field set must match (AND). Matching is case-insensitive. Each value is at most ${MAX_FILTER_VALUE_LENGTH} characters; a longer one is refused with BAD_USER_INPUT.`,
  fields: (t) => ({
    name: t.string({ description: `Exactly this name (at most ${MAX_FILTER_VALUE_LENGTH} characters).` }),
    email: t.string({ description: `Exactly this email address (at most ${MAX_FILTER_VALUE_LENGTH} characters).` }),
    nameLike: t.string({ description: `Names containing this text (at most ${MAX_FILTER_VALUE_LENGTH} characters).` }),
    emailLike: t.string({ description: `Email addresses containing this text (at most ${MAX_FILTER_VALUE_LENGTH} characters).` }),
  }),
});

type MemberFilterArgument = Pick<MemberFilter, 'name' | 'email' | 'nameLike' | 'emailLike'>;

/**
 * The `filter` argument as the upstream API's member filter, which quotes every value (a caller
 * cannot inject filter syntax). A value longer than MAX_FILTER_VALUE_LENGTH is a `ValidationError`
 * naming it, before any call.
 */
function memberFilter(filter: MemberFilterArgument | null | undefined): MemberFilter | undefined {
  if (!filter) return undefined;
  for (const [name, value] of Object.entries(filter)) {
    if (typeof value === 'string' && value.length > MAX_FILTER_VALUE_LENGTH) {
      throw new ValidationError(
        `filter.${name} must be at most ${MAX_FILTER_VALUE_LENGTH} characters; got ${value.length}.`,
        `filter.${name}`,
      );
    }
  }
  const { name, email, nameLike, emailLike } = filter;
  return { name, email, nameLike, emailLike };
}

builder.queryFields((t) => ({
  accountMember: t.field({
    ...cost.of({ yields: 'lookup' }, { objectType: true }),
    type: AccountMember,
    nullable: true,
    description: 'One account member by id, or null when Elastic Path has none with that id.',
    args: { id: t.arg.id({ required: true, description: 'Account member id (a UUID).' }) },
    resolve: (_root, args, context, info) => {
      const id = uuidArgument(args.id, 'id');
      const member = find(id, context);
      // `memberships` needs only the id: it starts now, beside the member's own read.
      return afterSpeculativeReads(member, startReadsOf('AccountMember', id, info.fieldNodes, info, context, { record: false }));
    },
  }),
  accountMembers: t.field({
    ...pageCost(),
    type: AccountMemberConnection,
    description: 'All account members of the store, page by page (GET /v2/account-members).',
    args: {
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      filter: t.arg({ type: AccountMemberFilter }),
    },
    resolve: (_root, args, context) =>
      orTopLevelError(async () => {
        const page = pageRequest(args);
        const result = await context.api.listAccountMembers({ page, filter: memberFilter(args.filter) });
        primeMembers(result.data, context);
        return toConnection(result, page, toRef);
      }),
  }),
  unassignedAccountMembers: t.field({
    ...pageCost(),
    type: AccountMemberConnection,
    description:
      'Account members who are not members of the account, page by page (GET /v2/accounts/{accountId}/account-memberships/unassigned-account-members).',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }),
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      filter: t.arg({ type: AccountMemberFilter }),
    },
    resolve: (_root, args, context) =>
      orTopLevelError(async () => {
        const accountId = uuidArgument(args.accountId, 'accountId');
        const page = pageRequest(args);
        const result = await context.api.listUnassignedAccountMembers(accountId, {
          page,
          filter: memberFilter(args.filter),
        });
        primeMembers(result.data, context);
        return toConnection(result, page, toRef);
      }),
  }),
}));
