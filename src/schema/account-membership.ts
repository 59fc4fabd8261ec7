/** `AccountMembership`: an account member's place in an account; its queries and mutations. */
import pLimit from 'p-limit';
import type { GraphQLResolveInfo } from 'graphql';
import { builder } from './builder.js';
import { cost, typeCost, type FieldCost, type TypeCost } from '../cost/declare.js';
import type { Context } from './context.js';
import {
  MEMBERSHIP_LIMIT,
  MembershipAlreadyExistsError,
  MembershipLimitReachedError,
  NotFoundError,
  ValidationError,
  asTopLevel,
} from '../domain/errors.js';
import { MAX_ID_LIST, isUuid, requireIdList, requireUuid } from '../domain/ids.js';
import type { MembershipAnswer, WriteOutcome as WriteOutcomeValue } from '../upstream/account-management.js';
import type {
  AccountMemberDto,
  AccountMembershipDto,
  IncludedAccountMembers,
  MemberAccountMembershipDto,
  PageDto,
} from '../upstream/dto.js';
import { Account, primeAccounts } from './account.js';
import { AccountMember, primeMembers } from './account-member.js';
import { MAX_PAGE_SIZE, pageCost, pageRequest, toConnection, type Connection } from './pagination.js';
import { nullIfNotFound, orTopLevelError, uuidArgument } from './error-adapters.js';
import { selectsBeyondId, selectsBeyondIdIn, subfieldsAlong } from './selection.js';
import { afterSpeculativeReads, readMemberBesideWrite, readsById, startReadsOf, takeRoomBesideWrite } from './speculative-reads.js';

/**
 * One membership, whichever side it was read from. Elastic Path's record names only the other
 * side (the member when read from the account, the account when read from the member); the path
 * it came from supplies the rest.
 */
export interface AccountMembershipShape {
  id: string;
  accountId: string;
  accountMemberId: string;
  /** The member's record, when the same answer included it. */
  member?: AccountMemberDto;
  createdAt: string;
  updatedAt: string;
}

const fromAccountSide = (
  accountId: string,
  dto: AccountMembershipDto,
  members?: ReadonlyMap<string, AccountMemberDto>,
): AccountMembershipShape => ({
  id: dto.id,
  accountId,
  accountMemberId: dto.relationships.account_member.data.id,
  member: members?.get(dto.relationships.account_member.data.id),
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

/** A membership by reference is one GET, deduplicated per request (the membership loader). */
const membershipCost: TypeCost = { reference: { key: ['accountId', 'id'], calls: 1 } };

export const AccountMembership = builder.objectRef<AccountMembershipShape>('AccountMembership').implement({
  description: 'The membership of one account member in one account.',
  ...typeCost(membershipCost),
  fields: (t) => ({
    id: t.exposeID('id', { ...cost.free(), description: 'Elastic Path account membership id (a UUID).' }),
    accountId: t.exposeID('accountId', { ...cost.free(), description: 'The account this membership belongs to.' }),
    account: t.field({
      // Its record may start beside the membership's read (`accountMembership`, `accountMemberships`).
      ...cost.of({ yields: 'reference', speculative: true }, { objectType: true }),
      type: Account,
      description: 'The account. Selecting only `id` costs no extra Elastic Path call.',
      resolve: (membership) => ({ id: membership.accountId }),
    }),
    accountMember: t.field({
      ...cost.of({ yields: 'reference' }, { objectType: true }),
      type: AccountMember,
      description: 'The member. Selecting only `id` costs no extra Elastic Path call.',
      // With the record at hand, its fields are read without a load or a promise each.
      resolve: (membership) => ({ id: membership.accountMemberId, dto: membership.member }),
    }),
    createdAt: t.field({
      ...cost.free(),
      type: 'DateTime',
      description: 'When the membership was created.',
      resolve: (membership) => membership.createdAt,
    }),
    updatedAt: t.field({
      ...cost.free(),
      type: 'DateTime',
      description: 'When the membership was last updated.',
      resolve: (membership) => membership.updatedAt,
    }),
  }),
});

// A membership's id is unique only within its account, so the key names both.
builder.asEntity(AccountMembership, {
  key: builder.selection<{ accountId: string; id: string }>('accountId id'),
  resolveReference: ({ accountId, id }, context) => {
    if (!isUuid(accountId) || !isUuid(id)) return null;
    const key = { accountId: accountId.toLowerCase(), id: id.toLowerCase() };
    return nullIfNotFound(async () => fromAccountSide(key.accountId, await context.loaders.accountMembership.load(key)));
  },
});

export const AccountMembershipConnection = builder.connectionObject(
  { type: AccountMembership, name: 'AccountMembershipConnection', description: 'A page of account memberships.' },
  { name: 'AccountMembershipEdge' },
);

const DeletedAccountMembership = builder.objectRef<{ id: string; accountId: string }>('DeletedAccountMembership').implement({
  description: 'The membership that was removed.',
  fields: (t) => ({
    id: t.exposeID('id', { ...cost.free(), description: 'The removed membership id.' }),
    accountId: t.exposeID('accountId', { ...cost.free(), description: 'The account it was removed from.' }),
  }),
});

const WriteOutcome = builder.enumType('WriteOutcome', {
  description:
    "What an ensure did for one member. Elastic Path answers a create with the membership (`CREATED`) or a conflict (`EXISTED`); when that answer is lost, the gateway looks the membership up and compares its `createdAt` with the moment the write left, on Elastic Path's clock as measured from its `Date` headers.",
  values: {
    CREATED: { description: "This call's write created the membership." },
    EXISTED: { description: "The member already belonged to the account before this call's write." },
    UNCERTAIN: {
      description:
        'The membership is in place, but the answer to this call\'s write was lost and its `createdAt` is too close to the moment the write left to tell whether this call created it or it was there already: inside a window about 2 s wide around that moment, on Elastic Path\'s clock (README, "The uncertainty window").',
    },
  } as const,
});

interface EnsuredMembershipShape {
  outcome: WriteOutcomeValue;
  membership: AccountMembershipShape;
}

const EnsuredAccountMembership = builder.objectRef<EnsuredMembershipShape>('EnsuredAccountMembership').implement({
  description: 'A membership that is now in place, whether this call created it or it was there already.',
  fields: (t) => ({
    outcome: t.field({
      ...cost.free(),
      type: WriteOutcome,
      description: 'Whether this call created the membership, it was there already, or that cannot be told.',
      resolve: (ensured) => ensured.outcome,
    }),
    created: t.boolean({
      ...cost.free(),
      description: 'True only when `outcome` is `CREATED`.',
      deprecationReason: 'Use `outcome`: `created` is false both for `EXISTED` and for `UNCERTAIN`.',
      resolve: (ensured) => ensured.outcome === 'CREATED',
    }),
    membership: t.field({
      ...cost.within(),
      type: AccountMembership,
      description: 'The membership.',
      resolve: (ensured) => ensured.membership,
    }),
  }),
});

/** Pages of the account's memberships a bulk ensure may read: an account holds at most MEMBERSHIP_LIMIT. */
const MAX_MEMBERSHIP_PAGES = Math.ceil(MEMBERSHIP_LIMIT / MAX_PAGE_SIZE);

/** What one member id of an ensure can come to. */
type EnsureOutcome = EnsuredMembershipShape | ValidationError | NotFoundError | MembershipLimitReachedError;

const EnsureAccountMembershipResult = builder.errorUnion('EnsureAccountMembershipResult', {
  description: 'The membership, created now or found already in place, or why the member could not be added.',
  types: [EnsuredAccountMembership, ValidationError, NotFoundError, MembershipLimitReachedError],
  resolveType: () => 'EnsuredAccountMembership',
});

interface EnsuredMembershipsShape {
  created: number;
  existing: number;
  uncertain: number;
  failed: number;
  results: EnsureOutcome[];
}

const EnsuredAccountMemberships = builder.objectRef<EnsuredMembershipsShape>('EnsuredAccountMemberships').implement({
  description:
    'What ensuring several members in one account came to: one result per id, in the order given. `created + existing + uncertain + failed` is the number of ids.',
  fields: (t) => ({
    created: t.exposeInt('created', { ...cost.free(), description: 'Memberships this call created (`outcome: CREATED`).' }),
    existing: t.exposeInt('existing', {
      ...cost.free(),
      description: 'Members that already belonged to the account (`outcome: EXISTED`; nothing was written for most of them).',
    }),
    uncertain: t.exposeInt('uncertain', {
      ...cost.free(),
      description:
        "Members now in the account whose write's answer was lost too close to their `createdAt` to tell who made it (`outcome: UNCERTAIN`).",
    }),
    failed: t.exposeInt('failed', { ...cost.free(), description: 'Members that could not be added; their results say why.' }),
    // As many as the ids given, which the mutation's declaration counts.
    results: t.field({
      ...cost.within({ assumedSize: MAX_ID_LIST }),
      type: [EnsureAccountMembershipResult],
      description: 'One result per member id, in the order the ids were given.',
      resolve: (ensured) => ensured.results,
    }),
  }),
});

interface MembershipPageArgs {
  first?: number | null;
  after?: string | null;
  accountMemberId?: string | null;
}

/**
 * One request for the page: members are included only when the selection needs more than their
 * ids. A bad `first`, cursor or member id throws at once, before any call.
 */
function accountMemberships(
  accountId: string,
  args: MembershipPageArgs,
  context: Context,
  includeMembers: boolean,
): Promise<Connection<AccountMembershipShape>> {
  const page = pageRequest(args);
  const memberId = args.accountMemberId != null ? uuidArgument(args.accountMemberId, 'accountMemberId') : undefined;
  return context.api
    .listAccountMemberships(accountId, {
      page,
      filter: memberId ? { accountMemberId: memberId } : undefined,
      includeMembers,
    })
    .then((result) => {
      const members = primeMembers(result.included?.account_members, context);
      return toConnection(result, page, (dto) => fromAccountSide(accountId, dto, members));
    });
}

const MEMBER_FIELDS_OF_PAGE = ['edges', 'node', 'accountMember'] as const;
const ACCOUNT_FIELDS_OF_MEMBER_PAGE = ['edges', 'node', 'account'] as const;

/** One request for a member's page: accounts are included only when the selection needs more than their ids. */
async function memberMemberships(
  accountMemberId: string,
  args: { first?: number | null; after?: string | null },
  context: Context,
  includeAccounts: boolean,
) {
  const page = pageRequest(args);
  const result = await context.api.listMemberAccountMemberships(accountMemberId, { page, includeAccounts });
  primeAccounts(result.included?.accounts, context);
  return toConnection(result, page, (dto) => fromMemberSide(accountMemberId, dto));
}

// Both memberships fields read with nothing but their parent's id, so they may start beside it.
readsById('Account', 'memberships', (accountId, args, fieldNodes, info, context) =>
  accountMemberships(accountId, args, context, selectsBeyondIdIn(fieldNodes, info, MEMBER_FIELDS_OF_PAGE)),
);
readsById('AccountMember', 'memberships', (accountMemberId, args, fieldNodes, info, context) =>
  memberMemberships(accountMemberId, args, context, selectsBeyondIdIn(fieldNodes, info, ACCOUNT_FIELDS_OF_MEMBER_PAGE)),
);

/**
 * Every membership of a page or a single read of one account names that account: what its
 * `account` selects can start beside the membership read.
 */
const startAccountReads = (accountId: string, info: GraphQLResolveInfo, context: Context, path: readonly string[]) =>
  subfieldsAlong(info.fieldNodes, info, path).flatMap((fieldNodes) =>
    startReadsOf('Account', accountId, fieldNodes, info, context, { record: true }),
  );

// Every membership of an account's page names that account, and the page includes the members
// when their fields are selected.
const ACCOUNT_PAGE = { accountMember: 'included', account: 'shared' } as const;
// A root read of one account's memberships: as above, but the account is the one its `accountId`
// names, read beside the membership read whether or not it exists.
const NAMED_ACCOUNT = { accountMember: 'included', account: 'named' } as const;

builder.objectField(Account, 'memberships', (t) =>
  t.field({
    ...pageCost({ relations: ACCOUNT_PAGE, speculative: true }),
    type: AccountMembershipConnection,
    description: "The account's memberships, newest first, page by page.",
    args: {
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      accountMemberId: t.arg.id({ description: 'Only the membership of this account member.' }),
    },
    resolve: (account, args, context, info) =>
      orTopLevelError(() => accountMemberships(account.id, args, context, selectsBeyondId(info, MEMBER_FIELDS_OF_PAGE))),
  }),
);

builder.objectField(AccountMember, 'memberships', (t) =>
  t.field({
    // The page includes the accounts when their fields are selected; every membership names this member.
    ...pageCost({ relations: { account: 'included', accountMember: 'parent' }, speculative: true }),
    type: AccountMembershipConnection,
    description: 'Every account this member belongs to, as memberships, page by page.',
    args: {
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
    },
    resolve: (member, args, context, info) =>
      orTopLevelError(() => memberMemberships(member.id, args, context, selectsBeyondId(info, ACCOUNT_FIELDS_OF_MEMBER_PAGE))),
  }),
);

builder.queryFields((t) => ({
  accountMembership: t.field({
    // One GET, which includes the member when its fields are selected.
    ...cost.of({ calls: 1, yields: 'records', relations: NAMED_ACCOUNT }, { objectType: true }),
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
      const membership = nullIfNotFound(async () => {
        const result = await context.api.getAccountMembership(accountId, id, {
          includeMember: selectsBeyondId(info, ['accountMember']),
        });
        return fromAccountSide(accountId, result.data, primeMembers(result.included?.account_members, context));
      });
      return afterSpeculativeReads(membership, startAccountReads(accountId, info, context, ['account']));
    },
  }),
  accountMemberships: t.field({
    ...pageCost({ relations: NAMED_ACCOUNT }),
    type: AccountMembershipConnection,
    description:
      'The memberships of an account, newest first, page by page (GET /v2/accounts/{accountId}/account-memberships). A missing account is a NOT_FOUND error.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }),
      first: t.arg.int({ description: 'Page size, 1 to 100 (default 25).' }),
      after: t.arg.string({ description: 'Continue after this cursor.' }),
      accountMemberId: t.arg.id({ description: 'Only the membership of this account member.' }),
    },
    resolve: (_root, args, context, info) => {
      const accountId = uuidArgument(args.accountId, 'accountId');
      let page: Promise<Connection<AccountMembershipShape>>;
      try {
        page = accountMemberships(accountId, args, context, selectsBeyondId(info, MEMBER_FIELDS_OF_PAGE));
      } catch (error) {
        // Refused input makes no call, so it starts none beside it either.
        throw asTopLevel(error);
      }
      return afterSpeculativeReads(
        orTopLevelError(() => page),
        startAccountReads(accountId, info, context, ['edges', 'node', 'account']),
      );
    },
  }),
}));

/**
 * A delete is one write; the lookup that follows a lost answer takes the place of an answer that
 * never came, and the run-time budget counts it.
 */
const WRITE: FieldCost = { calls: 1, yields: 'records' };

/** One write, as a delete; the member's record is read beside it when anything beyond its id is selected. */
const CREATE: FieldCost = { ...WRITE, relations: { accountMember: 'read-beside' } };

/**
 * One write, and after a 409 one read of the memberships list filtered to the member; the member's
 * record is read beside the write as for a create.
 */
const ENSURE: FieldCost = { calls: 2, yields: 'records', relations: { accountMember: 'read-beside' } };

/**
 * N ids: one write each (none is known to exist before it runs) and the most reads the rule below
 * can make: the account's first page, then either its other pages or one lookup per conflict,
 * whichever is fewer. Ids refused before any call cost nothing. Every result names the one account.
 */
const ENSURE_MANY: FieldCost = {
  calls: (ids) => ids + Math.min(ids + 1, MAX_MEMBERSHIP_PAGES),
  maxCalls: MAX_ID_LIST + MAX_MEMBERSHIP_PAGES,
  size: { of: (args) => validIdCount(args.accountMemberIds), assumed: MAX_ID_LIST },
  yields: 'records',
  relations: { account: 'shared' },
};

/** How many ids the resolver takes, or undefined when it refuses them before any call. */
function validIdCount(value: unknown): number | undefined {
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string')) return undefined;
  try {
    return requireIdList(value, 'accountMemberIds').length;
  } catch {
    return undefined;
  }
}

builder.mutationFields((t) => ({
  createAccountMembership: t.field({
    ...cost.of(CREATE, { objectType: true }),
    type: AccountMembership,
    description:
      "Adds an account member to an account (POST /v2/accounts/{accountId}/account-memberships). An account holds at most 1000 memberships. A member already in the account is MembershipAlreadyExistsError; use ensureAccountMembership when that is not an error for you. If Elastic Path's answer is lost after the write was sent, the membership is looked up before answering, and a result built from that lookup carries `extensions.reconciled: true`. When the lookup cannot tell whether this write made the membership or it was there already, or finds nothing, the answer is a top-level `WRITE_OUTCOME_UNKNOWN` error: the write may have been applied, and ensureAccountMembership is the safe retry.",
    args: {
      accountId: t.arg.id({ required: true, description: 'The account to add the member to (a UUID).' }),
      accountMemberId: t.arg.id({ required: true, description: 'The account member to add (a UUID).' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, MembershipAlreadyExistsError, MembershipLimitReachedError],
      union: { name: 'CreateAccountMembershipResult', description: 'The new membership, or why it was not created.' },
    },
    resolve: async (_root, args, context, info) => {
      const accountId = requireUuid(args.accountId, 'accountId');
      const accountMemberId = requireUuid(args.accountMemberId, 'accountMemberId');
      const includeMember = selectsBeyondId(info, ['accountMember']);
      const write = context.api.createAccountMembership(accountId, accountMemberId, { includeMember });
      // The member's id is an argument: its record is read while the write is in flight.
      const answer = await afterSpeculativeReads(write, includeMember ? readMemberBesideWrite(accountMemberId, context) : []);
      return fromAccountSide(accountId, answer.data, primeMembers(answer.included?.account_members, context));
    },
  }),
  ensureAccountMembership: t.field({
    ...cost.of(ENSURE, { objectType: true }),
    type: EnsureAccountMembershipResult,
    description:
      'Makes sure an account member belongs to an account, and returns the membership with its `outcome`: created now (`CREATED`), there already (`EXISTED`), or, after a lost answer, in place but too close in time to the write to tell (`UNCERTAIN`). Safe to repeat: it writes at most once, and an existing membership is found with the memberships list filtered by `account_member_id`. A lost answer is looked up as for createAccountMembership (`extensions.reconciled`); found nothing, it is `WRITE_OUTCOME_UNKNOWN`, and repeating this call is the safe retry.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account the member must belong to (a UUID).' }),
      accountMemberId: t.arg.id({ required: true, description: 'The account member (a UUID).' }),
    },
    resolve: async (_root, args, context, info) => {
      const accountId = requireUuid(args.accountId, 'accountId');
      const accountMemberId = requireUuid(args.accountMemberId, 'accountMemberId');
      const includeMember = selectsBeyondId(info, ['membership', 'accountMember']);
      // The existing membership (for a 409) and the member's record (a 201 carries no member) are
      // read while the write is in flight, each only with what the write left free.
      const write = context.api.ensureAccountMembership(accountId, accountMemberId, {
        includeMember,
        lookupBeside: () => takeRoomBesideWrite(context),
      });
      const answer = await afterSpeculativeReads(write, includeMember ? readMemberBesideWrite(accountMemberId, context) : []);
      const members = primeMembers(answer.included?.account_members, context);
      return { outcome: answer.outcome, membership: fromAccountSide(accountId, answer.data, members) };
    },
  }),
  ensureAccountMemberships: t.field({
    ...cost.of(ENSURE_MANY, { objectType: true }),
    type: EnsuredAccountMemberships,
    description: `Makes sure each of up to ${MAX_ID_LIST} account members belongs to an account, as \`ensureAccountMembership\` does for one: safe to repeat, at most one write per member, none for members already there. A missing account is one NotFoundError for the whole call; other failures (an unknown member, the account's limit of ${MEMBERSHIP_LIMIT} memberships) are reported per member.`,
    args: {
      accountId: t.arg.id({ required: true, description: 'The account the members must belong to (a UUID).' }),
      accountMemberIds: t.arg.idList({
        required: true,
        description: `The account members (UUIDs): 1 to ${MAX_ID_LIST}, each listed once.`,
      }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      union: {
        name: 'EnsureAccountMembershipsResult',
        description: 'One result per member, or why none was attempted (the input, or a missing account).',
      },
    },
    resolve: (_root, args, context, info) =>
      ensureMemberships(
        requireUuid(args.accountId, 'accountId'),
        requireIdList(args.accountMemberIds, 'accountMemberIds'),
        context,
        selectsBeyondId(info, ['results', 'membership', 'accountMember']),
      ),
  }),
  deleteAccountMembership: t.field({
    ...cost.of(WRITE, { objectType: true }),
    type: DeletedAccountMembership,
    description:
      "Removes a membership from an account (DELETE /v2/accounts/{accountId}/account-memberships/{id}). The member itself is kept. If Elastic Path's answer is lost after the delete was sent, the membership is looked up by id: gone, the answer is `DeletedAccountMembership` with `extensions.reconciled: true`; still there, or not looked up, a top-level `WRITE_OUTCOME_UNKNOWN` error (repeating the delete is safe).",
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

/**
 * Ensures several members in one account with few calls:
 * 1. the account's newest 100 memberships, one call: a missing account ends the whole call there,
 *    and a member already on that page needs no write;
 * 2. when the account holds more, its other pages (at most 9), but only when they are fewer than
 *    the ids still unknown; otherwise each unknown id that meets a 409 is looked up alone;
 * 3. one POST per id still unknown (`ensureAccountMembership`), EP_BULK_CONCURRENCY at a time, under
 *    the outbound limiter; a 429 is retried by the client before it counts.
 * A member-level failure (unknown member, the limit, a refused id) is that id's result. Any other
 * failure (unavailable, rate-limited after retries, a lost answer the lookup could not settle:
 * `WRITE_OUTCOME_UNKNOWN`) stops the writes not yet started and fails the whole call with its
 * code: repeating the call is safe.
 */
async function ensureMemberships(
  accountId: string,
  ids: readonly string[],
  context: Context,
  includeMember: boolean,
): Promise<EnsuredMembershipsShape> {
  const { api } = context;
  const limit = pLimit(context.bulkConcurrency);
  const known = new Map<string, MembershipAnswer>();
  const page = (index: number) =>
    api.listAccountMemberships(accountId, {
      page: { limit: MAX_PAGE_SIZE, offset: index * MAX_PAGE_SIZE },
      includeMembers: includeMember,
    });
  const remember = (memberships: PageDto<AccountMembershipDto, IncludedAccountMembers>) => {
    primeMembers(memberships.included?.account_members, context);
    for (const data of memberships.data) known.set(data.relationships.account_member.data.id.toLowerCase(), { data });
  };

  const first = await page(0);
  remember(first);
  const otherPages = Math.ceil(first.meta.results.total / MAX_PAGE_SIZE) - 1;
  const unknown = ids.filter((id) => !known.has(id.toLowerCase())).length;
  if (otherPages > 0 && otherPages <= Math.min(unknown, MAX_MEMBERSHIP_PAGES - 1)) {
    // Settled, not raced: no read outlives the call when one of them fails.
    const rest = await Promise.allSettled(Array.from({ length: otherPages }, (_, index) => limit(() => page(index + 1))));
    for (const read of rest) {
      if (read.status === 'rejected') throw read.reason;
      remember(read.value);
    }
  }

  let stopped: { error: unknown } | undefined;
  const outcomes = await Promise.all(
    ids.map(async (id): Promise<EnsureOutcome | undefined> => {
      const found = known.get(id.toLowerCase());
      if (found) return { outcome: 'EXISTED', membership: fromAccountSide(accountId, found.data) };
      return limit(async () => {
        if (stopped) return undefined;
        try {
          const answer = await api.ensureAccountMembership(accountId, id, { includeMember });
          const members = primeMembers(answer.included?.account_members, context);
          return { outcome: answer.outcome, membership: fromAccountSide(accountId, answer.data, members) };
        } catch (error) {
          if (error instanceof ValidationError || error instanceof NotFoundError || error instanceof MembershipLimitReachedError) {
            return error;
          }
          stopped ??= { error };
          return undefined;
        }
      });
    }),
  );
  if (stopped) throw stopped.error;
  const results = outcomes.filter((outcome): outcome is EnsureOutcome => outcome !== undefined);
  const count = (wanted: WriteOutcomeValue) =>
    results.filter((outcome) => !(outcome instanceof Error) && outcome.outcome === wanted).length;
  return {
    created: count('CREATED'),
    existing: count('EXISTED'),
    uncertain: count('UNCERTAIN'),
    failed: results.filter((outcome) => outcome instanceof Error).length,
    results,
  };
}
