/**
 * Typed Elastic Path account-management calls, bound to one caller's credentials. Resolvers and
 * loaders call these methods, never URLs; each method declares what its statuses mean (the
 * create's 400, 404 and 409, a list's 404; `StatusMeanings`) and checks the answer's shape before
 * anything reads it. What every call shares (401, 403, 429, 5xx) is mapped in `src/domain/errors.ts`.
 */
import {
  ErrorCode,
  MembershipAlreadyExistsError,
  MembershipLimitReachedError,
  NotFoundError,
  UnansweredWriteError,
  UpstreamStatusError,
  gatewayError,
  fromUpstream,
  membershipOfUnknownOrigin,
  inputRefused,
  malformed,
  missingToken,
  upstreamConflict,
  writeOutcomeUnknown,
  type StatusMeanings,
} from '../domain/errors.js';
import type { Deadline } from '../http/deadline.js';
import type { OffsetRange } from './clock.js';
import type { CallMeter, CallerCredentials, UpstreamClient, UpstreamRequest } from './client.js';
import type { UpstreamResponse } from './transport.js';
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
import {
  accountFilterExpression,
  memberFilterExpression,
  membershipFilterExpression,
  type AccountFilter,
  type MemberFilter,
  type MembershipFilter,
} from './filter.js';
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

/** A page of a list, narrowed by that list's own filter type (`./filter.ts` builds the expression). */
export interface ListOptions<Filter = never> {
  page: PageRequest;
  filter?: Filter;
}

/** One membership as an answer carried it, with its member when the answer included it. */
export type MembershipAnswer = SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers };

/**
 * What an ensure's write did: `CREATED` the membership, found it `EXISTED` before the write, or
 * `UNCERTAIN`: its answer was lost, and the membership found has a `created_at` too close to the
 * moment the write left to tell which.
 */
export type WriteOutcome = 'CREATED' | 'EXISTED' | 'UNCERTAIN';

/** An ensured membership, with what this call's write did. */
export type EnsuredMembershipAnswer = MembershipAnswer & { outcome: WriteOutcome };

export interface MembershipWriteOptions {
  /**
   * Ask for the member to be included when the membership has to be read back (after a 409, or
   * after a lost answer), so that its fields cost no further lookup.
   */
  includeMember: boolean;
}

export interface EnsureOptions extends MembershipWriteOptions {
  /**
   * Asked once the POST has been sent (and has taken its connection slot, rate start and call
   * budget): true lets the memberships list filtered by the member be read beside it, so that a
   * 409 needs no lookup after it. Without it, or when it answers false, a 409 is looked up after.
   */
  lookupBeside?: () => boolean;
}

/**
 * What looking up a write whose answer was lost found: it `landed` (a create's membership made
 * after the write left, or a delete's membership gone), it was there already (`existing`: the
 * create was a duplicate), it is there but `uncertain` whose it is, it is `absent` (a create's
 * membership not found, a delete's still there: proves nothing, lists lag writes), or the lookup
 * `failed` or could not run (no time or budget left).
 */
export type ReconciliationOutcome = 'landed' | 'existing' | 'uncertain' | 'absent' | 'failed';

/** An operation's counters, with its reconciliations by outcome. */
export interface OperationMeter extends CallMeter {
  reconciliations?: Partial<Record<ReconciliationOutcome, number>>;
}

export interface AccountManagementApi {
  /**
   * True when a read started now would find a connection slot free and a call left in the
   * request's budget: what a read beside a write may take, after the write has taken its own.
   */
  roomBeside(): boolean;
  /**
   * POST one membership. When the answer is lost (a timeout, a dropped connection or the
   * operation ending after sending), the membership is looked up before answering: found and
   * made after this write left, it is returned as if the answer had come; found and older, the
   * write was a duplicate (`MembershipAlreadyExistsError`); found but too close to tell, or not
   * found, `WRITE_OUTCOME_UNKNOWN`. Never sent twice.
   */
  createAccountMembership(
    accountId: string,
    accountMemberId: string,
    options?: MembershipWriteOptions,
  ): Promise<MembershipAnswer>;
  /**
   * The membership, created by one POST when it did not exist. The outcome is the POST's: 201 is
   * `CREATED`, 409 `EXISTED`, with the membership read from the list filtered by
   * `account_member_id`: beside the POST when `lookupBeside` allows, otherwise (or when that read
   * came back empty or failed: lists lag behind writes) after the 409. A lost answer is looked up
   * as in `createAccountMembership`; a membership found too close to the write to tell is `UNCERTAIN`.
   */
  ensureAccountMembership(
    accountId: string,
    accountMemberId: string,
    options?: EnsureOptions,
  ): Promise<EnsuredMembershipAnswer>;
  /** The membership of one member in one account (`filter=eq(account_member_id,…)`), or undefined. */
  findAccountMembership(
    accountId: string,
    accountMemberId: string,
    options: MembershipWriteOptions,
  ): Promise<MembershipAnswer | undefined>;
  getAccountMembership(
    accountId: string,
    id: string,
    options: { includeMember: boolean },
  ): Promise<SingleDto<AccountMembershipDto> & { included?: IncludedAccountMembers }>;
  listAccountMemberships(
    accountId: string,
    options: ListOptions<MembershipFilter> & { includeMembers: boolean },
  ): Promise<PageDto<AccountMembershipDto, IncludedAccountMembers>>;
  /** DELETE one membership; a lost answer is looked up by id: gone, it is answered as deleted. */
  deleteAccountMembership(accountId: string, id: string): Promise<void>;
  listUnassignedAccountMembers(accountId: string, options: ListOptions<MemberFilter>): Promise<PageDto<AccountMemberDto>>;
  getAccountMember(id: string): Promise<AccountMemberDto>;
  listAccountMembers(options: ListOptions<MemberFilter>): Promise<PageDto<AccountMemberDto>>;
  listMemberAccountMemberships(
    accountMemberId: string,
    options: ListOptions & { includeAccounts: boolean },
  ): Promise<PageDto<MemberAccountMembershipDto, IncludedAccounts>>;
  getAccount(id: string): Promise<AccountDto>;
  listAccounts(options: ListOptions<AccountFilter>): Promise<PageDto<AccountDto>>;
}

/** `page[limit]`, `page[offset]` and, when there is one, the `filter` expression. */
const pageQuery = ({ limit, offset }: PageRequest, filter?: string): Record<string, string | undefined> => ({
  'page[limit]': String(limit),
  'page[offset]': String(offset),
  filter,
});

/** Which shared reads a write can change, by their key (`path query`). */
export type ChangedBy = (key: string) => boolean;

const EVERY_READ: ChangedBy = () => true;

/**
 * A membership write changes the membership lists of its account and its member, the account's
 * unassigned members and the membership itself; it never changes a member's record (one member or
 * the members list), so those reads may be shared across it.
 */
const MEMBER_RECORDS = /^\/v2\/account-members(\/[^/ ]+)? /;
export const changedByMembershipWrite: ChangedBy = (key) => !MEMBER_RECORDS.test(key);

/**
 * The GETs of one request by path and query: an identical read within the request shares the
 * first one's answer instead of calling again. Per request, so nothing is ever shared between
 * callers. A write drops the answers it can change when it starts and when it ends, and a read it
 * can change that overlaps it is neither shared nor kept; reads it cannot change (a member's record
 * beside a membership write) are kept.
 */
export class RequestReads {
  readonly #answers = new Map<string, Promise<UpstreamResponse>>();
  /** What each write in flight can change. */
  readonly #writes = new Set<{ changes: ChangedBy }>();

  get(key: string): Promise<UpstreamResponse> | undefined {
    return this.#changing(key) ? undefined : this.#answers.get(key);
  }

  set(key: string, answer: Promise<UpstreamResponse>): void {
    if (!this.#changing(key)) this.#answers.set(key, answer);
  }

  /** A write starts; it ends when `answer` settles. */
  write(answer: Promise<unknown>, changes: ChangedBy = EVERY_READ): void {
    const write = { changes };
    this.#drop(changes);
    this.#writes.add(write);
    const ended = () => {
      this.#writes.delete(write);
      this.#drop(changes);
    };
    answer.then(ended, ended);
  }

  #changing(key: string): boolean {
    for (const write of this.#writes) if (write.changes(key)) return true;
    return false;
  }

  #drop(changes: ChangedBy): void {
    for (const key of this.#answers.keys()) if (changes(key)) this.#answers.delete(key);
  }
}

/** What every call of one operation shares: its deadline, its counters (with its trace), and its request's budget and reads. */
export interface CallScope extends Pick<UpstreamRequest, 'signal'> {
  /** The request's deadline: writes end before it with a reserve, in which a lost answer is looked up. */
  deadline?: Pick<Deadline, 'writeSignal' | 'lookupSignal'>;
  /** The operation's counters: calls and retries (the client's), reconciliations (this module's). */
  meter?: OperationMeter;
  /** The request's call budget: each call spends one first, and `spend` throws once none is left. */
  budget?: { spend(): void; readonly left: number };
  /** The request's reads, shared while no write could have changed them. */
  reads?: RequestReads;
}

export function createAccountManagementApi(
  client: UpstreamClient,
  /** An error (credentials sent but refused, see `credentialsFrom`) is thrown by every call. */
  credentials: CallerCredentials | Error | null,
  scope: CallScope = {},
): AccountManagementApi {
  const { signal, meter, budget, reads, deadline } = scope;

  /** `own` replaces the operation's signal (the lookup after a lost answer has its own). */
  function send(
    caller: CallerCredentials,
    request: Omit<UpstreamRequest, 'signal' | 'meter'>,
    own?: AbortSignal,
  ): Promise<UpstreamResponse> {
    const key = reads && request.method === 'GET' ? `${request.path} ${JSON.stringify(request.query ?? {})}` : undefined;
    const shared = key === undefined ? undefined : reads?.get(key);
    if (shared) return shared;
    budget?.spend();
    const isWrite = request.method !== 'GET';
    const response = client.send(caller, { ...request, signal: own ?? (isWrite ? deadline?.writeSignal : undefined) ?? signal, meter });
    // Every write this module makes is a membership's (POST or DELETE under account-memberships).
    if (isWrite) reads?.write(response, request.route.includes('/account-memberships') ? changedByMembershipWrite : EVERY_READ);
    else if (key !== undefined) reads?.set(key, response);
    return response;
  }

  async function call<T>(
    request: Omit<UpstreamRequest, 'signal' | 'meter'>,
    meanings: StatusMeanings,
    isExpected: (body: unknown) => body is T,
    own?: AbortSignal,
  ): Promise<T> {
    // Checked here, before any I/O, so a call without a token never leaves the gateway.
    if (!credentials) throw missingToken();
    if (credentials instanceof Error) throw credentials;
    let body: unknown;
    let status: number;
    try {
      ({ body, status } = await send(credentials, request, own));
    } catch (error) {
      throw error instanceof UpstreamStatusError ? fromUpstream(error.upstream, meanings) : error;
    }
    if (!isExpected(body)) throw malformed('an answer of an unexpected shape', status);
    return body;
  }

  /** A list under one account, or the account itself: a 404 means the account does not exist. */
  const ofAccount = (accountId: string): StatusMeanings => ({
    ...INPUT_REFUSED,
    404: () => new NotFoundError('Account', accountId),
  });
  /** One membership: a 404 names the account when Elastic Path says so, otherwise the membership. */
  const ofMembership = (accountId: string, id: string): StatusMeanings => ({
    ...INPUT_REFUSED,
    404: ({ detail }) =>
      detail === ACCOUNT_NOT_FOUND ? new NotFoundError('Account', accountId) : new NotFoundError('AccountMembership', id),
  });
  /** One member, or a list under it: a 404 means the member does not exist. */
  const ofMember = (id: string): StatusMeanings => ({
    ...INPUT_REFUSED,
    404: () => new NotFoundError('AccountMember', id),
  });
  const isNothing = (body: unknown): body is undefined => body === undefined;

  async function findMembership(
    accountId: string,
    accountMemberId: string,
    { includeMember }: MembershipWriteOptions,
    own?: AbortSignal,
  ): Promise<MembershipAnswer | undefined> {
    const page = await call(
      {
        method: 'GET',
        ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }),
        query: {
          ...pageQuery({ limit: 1, offset: 0 }, membershipFilterExpression({ accountMemberId })),
          include: includeMember ? 'account_member' : undefined,
        },
      },
      ofAccount(accountId),
      (value): value is PageDto<AccountMembershipDto, IncludedAccountMembers> =>
        isPage(value, isAccountMembership) && includedOf(value, 'account_members', isAccountMember),
      own,
    );
    const wanted = accountMemberId.toLowerCase();
    const data = page.data.find((item) => item.relationships.account_member.data.id.toLowerCase() === wanted);
    return data && { data, ...(page.included && { included: page.included }) };
  }

  /**
   * One POST; a 409 is `MembershipAlreadyExistsError`. When its answer is lost, the lookup decides
   * by `judge`; nothing found, or no lookup possible, is `WRITE_OUTCOME_UNKNOWN`.
   */
  async function addMembership(
    accountId: string,
    accountMemberId: string,
    options: MembershipWriteOptions,
  ): Promise<EnsuredMembershipAnswer> {
    const body: CreateAccountMembershipBody = {
      data: { type: 'account_membership', account_member_id: accountMemberId },
    };
    try {
      const answer = await call(
        { method: 'POST', ...epRoute('/v2/accounts/{accountId}/account-memberships', { accountId }), body },
        {
          400: (upstream) =>
            /exceeds the limit/i.test(upstream.detail ?? '')
              ? new MembershipLimitReachedError(accountId)
              : inputRefused(upstream),
          422: inputRefused,
          404: ({ detail }) =>
            detail === ACCOUNT_NOT_FOUND
              ? new NotFoundError('Account', accountId)
              : new NotFoundError('AccountMember', accountMemberId),
          409: () => new MembershipAlreadyExistsError(accountMemberId, accountId),
        },
        (value) => isSingle(value, isAccountMembership),
      );
      return { ...answer, outcome: 'CREATED' };
    } catch (error) {
      if (!(error instanceof UnansweredWriteError)) throw error;
      const unknown = () =>
        writeOutcomeUnknown(
          `adding account member ${accountMemberId} to account ${accountId} (${error.because})`,
          'Do not send createAccountMembership again to find out: ensureAccountMembership is the safe retry, it writes at most once and answers the membership whether or not this write made it.',
        );
      let found: MembershipAnswer | undefined;
      try {
        found = await findMembership(accountId, accountMemberId, options, deadline?.lookupSignal());
      } catch {
        reconciled('failed');
        throw unknown();
      }
      if (!found) {
        reconciled('absent');
        throw unknown();
      }
      const outcome = judge(found.data.meta.timestamps.created_at, error.sentAt, client.clockOffset());
      reconciled(outcome === 'CREATED' ? 'landed' : outcome === 'EXISTED' ? 'existing' : 'uncertain');
      return { ...found, outcome };
    }
  }

  function roomBeside(): boolean {
    return (!budget || budget.left > 0) && client.hasFreeSlot();
  }

  function reconciled(outcome: ReconciliationOutcome): void {
    if (!meter) return;
    const counts = (meter.reconciliations ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }

  return {
    async createAccountMembership(accountId, accountMemberId, options = { includeMember: false }) {
      const answer = await addMembership(accountId, accountMemberId, options);
      if (answer.outcome === 'EXISTED') throw new MembershipAlreadyExistsError(accountMemberId, accountId);
      // In place, but maybe not by this call: neither the new membership nor "already a member" is true.
      if (answer.outcome === 'UNCERTAIN') throw membershipOfUnknownOrigin(accountMemberId, accountId);
      return answer;
    },

    async ensureAccountMembership(accountId, accountMemberId, options = { includeMember: false }) {
      const write = addMembership(accountId, accountMemberId, options);
      // Asked only now: the write has taken its slot, rate start and budget before the read.
      const beside = options.lookupBeside?.() ? findMembership(accountId, accountMemberId, options) : undefined;
      // Settled before answering, whatever the write did, so that no read outlives the operation.
      const [written, read] = await Promise.allSettled([write, beside]);
      if (written.status === 'fulfilled') return written.value;
      if (!(written.reason instanceof MembershipAlreadyExistsError)) throw written.reason;
      // The 409 decides the outcome; the list read beside it only supplies the record when it holds it.
      const existing = (read.status === 'fulfilled' ? read.value : undefined) ?? (await findMembership(accountId, accountMemberId, options));
      if (!existing) {
        // Elastic Path said it exists, then could not find it: it was removed in between.
        throw gatewayError(
          ErrorCode.CONFLICT,
          `The membership of account member ${accountMemberId} in account ${accountId} changed while it was being ensured. Try again.`,
        );
      }
      return { ...existing, outcome: 'EXISTED' };
    },

    findAccountMembership: findMembership,

    roomBeside,

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

    async deleteAccountMembership(accountId, id) {
      const route = epRoute('/v2/accounts/{accountId}/account-memberships/{membershipId}', { accountId, membershipId: id });
      try {
        await call(
          { method: 'DELETE', ...route },
          // A 409 here is Elastic Path's own conflict (the membership is being changed), not a duplicate.
          { ...ofMembership(accountId, id), 409: upstreamConflict },
          isNothing,
        );
        return;
      } catch (error) {
        if (!(error instanceof UnansweredWriteError)) throw error;
        const unknown = () =>
          writeOutcomeUnknown(
            `removing membership ${id} from account ${accountId} (${error.because})`,
            'deleteAccountMembership is safe to repeat: a NotFoundError for the membership then means it is gone.',
          );
        try {
          await call({ method: 'GET', ...route }, ofMembership(accountId, id), (value) => isSingle(value, isAccountMembership), deadline?.lookupSignal());
        } catch (lookup) {
          // Gone: what the delete was for, whoever removed it.
          if (lookup instanceof NotFoundError && lookup.resource === 'AccountMembership') {
            reconciled('landed');
            return;
          }
          reconciled('failed');
          throw unknown();
        }
        // Still there: the delete may not have been applied yet.
        reconciled('absent');
        throw unknown();
      }
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
      const { data } = await call(
        { method: 'GET', ...epRoute('/v2/accounts/{accountId}', { accountId: id }) },
        ofAccount(id),
        (value) => isSingle(value, isAccount),
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

/** A 400 or 422: Elastic Path refused what the call sent (an id, a filter, a page); its reason is the message. */
const INPUT_REFUSED: StatusMeanings = { 400: inputRefused, 422: inputRefused };

/** The detail of a 404 about the account in a path under it, rather than the record the path names. */
const ACCOUNT_NOT_FOUND = 'account not found';

/**
 * What Elastic Path's `Date` header cannot say about the clock that stamps `created_at`: the header
 * may come from its edge rather than from the service, whose clocks are each kept by NTP but are
 * not the same clock. Allowed either side of the measured offset.
 */
const EDGE_CLOCK_ALLOWANCE_MS = 1_000;

/**
 * Whose is a membership found after a create's answer was lost? The write left at `sentAt` (our
 * clock), which is `sentAt + offset` on Elastic Path's, with the offset known only within its
 * range (and the edge allowance). Created before the earliest such instant, it existed before the
 * write; after the latest, it was made after the write left; in between, it cannot be told.
 */
export function judge(createdAt: string, sentAt: number, offset: OffsetRange | undefined): WriteOutcome {
  const created = Date.parse(createdAt);
  if (!offset || !Number.isFinite(created)) return 'UNCERTAIN';
  if (created < sentAt + offset.low - EDGE_CLOCK_ALLOWANCE_MS) return 'EXISTED';
  if (created > sentAt + offset.high + EDGE_CLOCK_ALLOWANCE_MS) return 'CREATED';
  return 'UNCERTAIN';
}

/** `included.<key>`, when present, must be an array of well-formed records. */
function includedOf(value: unknown, key: string, isItem: (item: unknown) => boolean): boolean {
  const included = (value as { included?: unknown }).included;
  if (included === undefined) return true;
  if (typeof included !== 'object' || included === null) return false;
  const items = (included as Record<string, unknown>)[key];
  return items === undefined || (Array.isArray(items) && items.every(isItem));
}
