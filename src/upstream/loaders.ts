/**
 * The per-request DataLoaders. `createContext` makes them for each request; they close over that
 * caller's API binding (and so its token): nothing here outlives the request, and no cache entry
 * is ever shared between callers.
 */
import DataLoader from 'dataloader';
import pLimit, { type LimitFunction } from 'p-limit';
import { ErrorCode, ValidationError } from '../domain/errors.js';
import type { AccountManagementApi } from './account-management.js';
import type { AccountDto, AccountMemberDto, AccountMembershipDto, PageDto } from './dto.js';
import { GraphQLError } from 'graphql';

export interface LoaderOptions {
  /** Single lookups in flight at once for one request (EP_LOOKUP_CONCURRENCY). */
  lookupConcurrency: number;
  /**
   * Look members up in batches with `filter=in(id,…)`. Only older Elastic Path docs promise this
   * filter for members, so it is off unless configured (EP_MEMBER_BATCH_LOOKUP).
   */
  memberBatchLookup: boolean;
}

export interface Loaders {
  /** Account members by id; a failed lookup rejects only the keys it concerns. */
  accountMember: DataLoader<string, AccountMemberDto>;
  /** Accounts by id, batched into `filter=in(id,…)` pages of up to 100. */
  account: DataLoader<string, AccountDto>;
  /** Memberships by account and id (federation resolves them by reference); deduplicated, not batched. */
  accountMembership: DataLoader<MembershipKey, AccountMembershipDto, string>;
}

export interface MembershipKey {
  accountId: string;
  id: string;
}

/** Elastic Path's largest page, and so the most ids one `in(id,…)` request can answer. */
export const BATCH_SIZE = 100;

/**
 * Each loader, and the limit they share, is made on first use: most operations (a create, one
 * list) use none, and envelop copies the context's properties into every operation's context, so
 * anything made eagerly here is made for every request.
 */
export function createLoaders(api: AccountManagementApi, options: LoaderOptions): Loaders {
  // One limit per request, shared by every loader, so one operation cannot open a flood of calls.
  let shared: LimitFunction | undefined;
  const limit = <T>(call: () => Promise<T>): Promise<T> => (shared ??= pLimit(options.lookupConcurrency))(call);
  let accountMember: Loaders['accountMember'] | undefined;
  let account: Loaders['account'] | undefined;
  let accountMembership: Loaders['accountMembership'] | undefined;
  return {
    get accountMember() {
      return (accountMember ??= createLoader({
        one: (id) => limit(() => api.getAccountMember(id)),
        many: options.memberBatchLookup ? (ids) => limit(() => api.listAccountMembers(batchOf(ids))) : undefined,
      }));
    },
    get account() {
      return (account ??= createLoader({
        one: (id) => limit(() => api.getAccount(id)),
        many: (ids) => limit(() => api.listAccounts(batchOf(ids))),
      }));
    },
    get accountMembership() {
      return (accountMembership ??= new DataLoader<MembershipKey, AccountMembershipDto, string>(
        (keys) =>
          Promise.all(
            keys.map(({ accountId, id }) =>
              limit(() => api.getAccountMembership(accountId, id, { includeMember: false })).then(({ data }) => data, toError),
            ),
          ),
        { cacheKeyFn: ({ accountId, id }) => `${accountId}/${id}` },
      ));
    },
  };
}

const batchOf = (ids: readonly string[]) => ({
  page: { limit: BATCH_SIZE, offset: 0 },
  filter: { ids },
});

interface LoaderSource<T> {
  one: (id: string) => Promise<T>;
  many?: (ids: readonly string[]) => Promise<PageDto<T>>;
}

function createLoader<T extends { id: string }>({ one, many }: LoaderSource<T>): DataLoader<string, T> {
  const singly = (ids: readonly string[]) => Promise.all(ids.map((id) => one(id).catch(toError)));
  return new DataLoader<string, T>(
    async (ids) => {
      if (!many || ids.length === 1) return singly(ids);
      let page: PageDto<T>;
      try {
        page = await many(ids);
      } catch (error) {
        // A batch whose filter the service refuses (400/422, or a URL it finds too long) falls
        // back to single lookups. Anything else (auth, rate limits, availability, a 500, an
        // answer of the wrong shape) would fail those too, and retrying them one by one would
        // only multiply load on a struggling upstream.
        if (isBatchUnsupported(error)) return singly(ids);
        return ids.map(() => toError(error));
      }
      const wanted = new Set(ids);
      // A service that ignored the filter answers with other records: trust none of them.
      if (page.data.some((item) => !wanted.has(item.id))) return singly(ids);
      const byId = new Map(page.data.map((item) => [item.id, item]));
      // An id the batch did not return gets a single lookup, whose 404 is the real answer.
      return Promise.all(ids.map((id) => byId.get(id) ?? one(id).catch(toError)));
    },
    { maxBatchSize: BATCH_SIZE },
  );
}

/** Elastic Path refused the `in(id,…)` filter itself: 400/422 (a `ValidationError`) or 414. */
function isBatchUnsupported(error: unknown): boolean {
  if (error instanceof ValidationError) return true;
  return (
    error instanceof GraphQLError &&
    error.extensions.code === ErrorCode.UPSTREAM_ERROR &&
    (error.extensions.upstream as { status?: unknown } | undefined)?.status === 414
  );
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
