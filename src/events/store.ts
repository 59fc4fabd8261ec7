/**
 * What the membership events remember between deliveries: which events were already published
 * (deduplication), which memberships were deleted (tombstones), and which account each membership
 * belongs to (routing). The interface is what the fleet's store in Redis (`redis-events.ts`: `SET
 * key NX PX ttl` and the tombstone check in one script for `claim`) implements; `createMemoryEventStore`
 * is the in-process default.
 * Every entry expires, so the memory stays bounded whatever Elastic Path sends.
 */

/** What a `claim` found: the key was new (publish), already claimed (a duplicate), or tombstoned. */
export type ClaimOutcome = 'claimed' | 'duplicate' | 'tombstoned';

export interface EventStore {
  /**
   * One atomic check-and-set: claims `key` for `ttlMs` unless it or `unless` (a tombstone) is
   * already held. Two sources announcing the same change race here, and exactly one wins.
   */
  claim(key: string, ttlMs: number, unless?: string): Promise<ClaimOutcome>;
  /** Gives up a claim whose event could not be published, so that a redelivery is not a duplicate. */
  release(key: string): Promise<void>;
  /** Remembers a membership's account for `ttlMs`. */
  rememberAccount(membershipId: string, accountId: string, ttlMs: number): Promise<void>;
  /** The account remembered for a membership, if any. */
  accountOf(membershipId: string): Promise<string | undefined>;
}

export interface MemoryEventStoreOptions {
  /**
   * Entries kept at most; past it the oldest go first, so a flood of distinct events cannot grow
   * the process without bound.
   * @default 100000
   */
  maxEntries?: number;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

/** The in-process store: a Map in insertion order, so the oldest entries are the first to expire. */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore & { /** Entries held now. */ size(): number } {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // Values are [expiresAt, value]; re-setting a key moves it to the end, keeping the order by age.
  const entries = new Map<string, [number, string]>();

  const live = (key: string): string | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry[0] > now()) return entry[1];
    entries.delete(key);
    return undefined;
  };
  const set = (key: string, value: string, ttlMs: number) => {
    entries.delete(key);
    entries.set(key, [now() + ttlMs, value]);
    sweep();
  };
  // Expired entries at the front go; past the cap, the oldest go whatever their expiry.
  const sweep = () => {
    const time = now();
    for (const [key, [expiresAt]] of entries) {
      if (expiresAt > time && entries.size <= maxEntries) break;
      entries.delete(key);
    }
  };

  return {
    async claim(key, ttlMs, unless) {
      if (unless !== undefined && live(unless) !== undefined) return 'tombstoned';
      if (live(key) !== undefined) return 'duplicate';
      set(key, '1', ttlMs);
      return 'claimed';
    },
    async release(key) {
      entries.delete(key);
    },
    async rememberAccount(membershipId, accountId, ttlMs) {
      set(`account:${membershipId}`, accountId, ttlMs);
    },
    async accountOf(membershipId) {
      return live(`account:${membershipId}`);
    },
    size: () => entries.size,
  };
}
