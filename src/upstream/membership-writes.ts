/**
 * The membership writes: create, ensure and delete, and what decides their outcome when an answer
 * is lost (a lookup, judged by `judge` against Elastic Path's clock). See the README's Write outcomes.
 */
import {
  ErrorCode,
  MembershipAlreadyExistsError,
  MembershipLimitReachedError,
  NotFoundError,
  UnansweredWriteError,
  gatewayError,
  inputRefused,
  membershipOfUnknownOrigin,
  upstreamConflict,
  writeOutcomeUnknown,
} from '../domain/errors.js';
import type {
  AccountManagementApi,
  EnsuredMembershipAnswer,
  MembershipAnswer,
  MembershipWriteOptions,
  WriteOutcome,
} from './account-management.js';
import { ACCOUNT_NOT_FOUND, includedOf, isNothing, ofAccount, ofMembership, pageQuery, type Caller } from './caller.js';
import type { OffsetRange } from './clock.js';
import type { UpstreamClient } from './client.js';
import type { AccountMembershipDto, CreateAccountMembershipBody, IncludedAccountMembers, PageDto } from './dto.js';
import { membershipFilterExpression } from './filter.js';
import { epRoute } from './path.js';
import { isAccountMember, isAccountMembership, isPage, isSingle } from './shapes.js';

type MembershipWrites = Pick<
  AccountManagementApi,
  'createAccountMembership' | 'ensureAccountMembership' | 'deleteAccountMembership' | 'findAccountMembership'
>;

export function membershipWrites({ call, reconciled, lookupSignal }: Caller, client: UpstreamClient): MembershipWrites {
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
            /exceeds the limit/i.test(upstream.detail ?? '') ? new MembershipLimitReachedError(accountId) : inputRefused(upstream),
          422: inputRefused,
          404: ({ detail }) =>
            detail === ACCOUNT_NOT_FOUND ? new NotFoundError('Account', accountId) : new NotFoundError('AccountMember', accountMemberId),
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
        found = await findMembership(accountId, accountMemberId, options, lookupSignal());
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
      const existing =
        (read.status === 'fulfilled' ? read.value : undefined) ?? (await findMembership(accountId, accountMemberId, options));
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
          await call(
            { method: 'GET', ...route },
            ofMembership(accountId, id),
            (value) => isSingle(value, isAccountMembership),
            lookupSignal(),
          );
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
  };
}

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
