/**
 * The membership event bus: one stream per account, fed by the gateway's own writes and by Elastic
 * Path's webhook deliveries, each change published once.
 *
 * Publishing goes through Yoga's `createPubSub` over an `EventTarget`. In process that is a plain
 * in-memory target; with REDIS_URL the gateway passes the fleet's (`redis-events.ts`:
 * `@graphql-yoga/redis-event-target` over ioredis) as `eventTarget`, with its `dispatched`, and the
 * shared `EventStore` as `store`: nothing else changes, since events are plain JSON and every
 * subscriber listens on the same target. Deduplication happens before publishing, in the store's
 * one atomic `claim`, so each replica may receive either source. A change is published once it is
 * claimed and dispatched; when either fails, `publish` rejects and gives the claim back, so that
 * Elastic Path's next delivery of it is not taken for a duplicate.
 *
 * Each subscriber has its own bounded queue: one that falls behind is ended with SLOW_SUBSCRIBER
 * instead of growing the process's memory.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createPubSub } from 'graphql-yoga';
import type { AccountMembershipDto } from '../upstream/dto.js';
import type { EventStore } from './store.js';

export type MembershipEventType = 'CREATED' | 'UPDATED' | 'DELETED' | 'RESYNC';
export type MembershipEventSource = 'GATEWAY' | 'ELASTIC_PATH';

/** One event as it travels on the bus: plain JSON, so a shared event target can carry it. */
export interface MembershipEvent {
  id: string;
  type: MembershipEventType;
  accountId: string;
  /** Null only for RESYNC. */
  membershipId: string | null;
  accountMemberId: string | null;
  /** Elastic Path's record for CREATED and UPDATED; none for DELETED and RESYNC. */
  record: AccountMembershipDto | null;
  /** When the change happened, when known (Elastic Path's deletions carry no time). */
  occurredAt: string | null;
  receivedAt: string;
  source: MembershipEventSource;
}

/** A change as one of the two sources saw it, before it is routed and deduplicated. */
export interface ObservedChange {
  type: Exclude<MembershipEventType, 'RESYNC'>;
  /** The source's own event id (Elastic Path's, or a new UUID for the gateway's writes). */
  id: string;
  membershipId: string;
  /** Known for the gateway's writes and when Elastic Path's record links to its account. */
  accountId: string | undefined;
  accountMemberId: string | null;
  record: AccountMembershipDto | null;
  occurredAt: string | null;
  source: MembershipEventSource;
}

/** What became of a change handed to the bus. */
export type PublishOutcome = 'published' | 'duplicate' | 'tombstoned' | 'unroutable';

export interface EventBusOptions {
  store: EventStore;
  /** Where events travel; a plain in-process EventTarget when absent. */
  eventTarget?: EventTarget;
  /**
   * Resolves once the event just dispatched on `eventTarget` has left this process, or rejects
   * when it could not (the fleet's Redis is down). In process there is nothing to wait for.
   */
  dispatched?: () => Promise<void>;
  /** How long deduplication keys, tombstones and routes are kept (beyond Elastic Path's 30-minute delivery target). */
  memoryTtlMs: number;
  /** Events one subscriber may have waiting; one more ends it with SLOW_SUBSCRIBER. */
  bufferSize: number;
  /** Subscribers this process serves at once. */
  maxSubscribers: number;
  /** Finds the account of a membership nobody has seen (`EP_CLIENT_ID`'s lookup), when configured. */
  lookupAccount?: (membershipId: string, accountMemberId: string | null) => Promise<string | undefined>;
  /** Told of every change handed to the bus and what became of it (metrics). */
  observe?: (change: Pick<ObservedChange, 'type' | 'source'>, outcome: PublishOutcome) => void;
}

/** Why a subscriber's stream ended. */
export type EndReason = 'client' | 'slow' | 'closing' | 'unauthorized' | 'error';

export interface Subscriber {
  /** The next event, or undefined once the stream has ended (its reason in `ended`). */
  next(): Promise<MembershipEvent | undefined>;
  /** Set once the stream ends. */
  readonly ended: EndReason | undefined;
  /** Ends the stream (e.g. the client left, or its token was refused). */
  end(reason: EndReason): void;
}

export interface EventBus {
  /** Routes, deduplicates and publishes one change; resolves once it is on the bus (or dropped). */
  publish(change: ObservedChange): Promise<PublishOutcome>;
  /** Remembers which account a membership belongs to (from a create, a read or an event); never rejects: routes are a best-effort memory. */
  rememberAccount(membershipId: string, accountId: string): Promise<void>;
  /** Tells every subscriber (or one account's) that events may have been lost: a RESYNC each. */
  resync(accountId?: string): void;
  /** A new subscriber to one account's events; throws TooManySubscribers past the process limit. */
  subscribe(accountId: string): Subscriber;
  /** Subscribers open now. */
  subscribers(): number;
  /** Ends every stream (SIGTERM): each subscriber's `next` resolves undefined with reason 'closing'. */
  close(): void;
}

export class TooManySubscribersError extends Error {
  constructor(readonly limit: number) {
    super(`This gateway already serves ${limit} subscriptions.`);
    this.name = 'TooManySubscribersError';
  }
}

/** The process is draining: new streams go to another replica. */
export class BusClosedError extends Error {
  constructor() {
    super('This gateway is shutting down; subscribe again to reach another replica.');
    this.name = 'BusClosedError';
  }
}

const topic = (accountId: string) => `account-membership:${accountId}`;

/** The deduplication key: a create and a delete are once per membership, whoever announced them; an update, once per event. */
const claimKey = (change: ObservedChange) => (change.type === 'UPDATED' ? `event:${change.id}` : `${change.type}:${change.membershipId}`);

export function createEventBus(options: EventBusOptions): EventBus {
  const { store, memoryTtlMs } = options;
  // Listeners go on the target itself: each subscriber keeps its own bounded queue, which Yoga's
  // `subscribe` (an unbounded Repeater) would not.
  const target = options.eventTarget ?? new EventTarget();
  // One listener per subscriber of an account: SUBSCRIPTIONS_MAX bounds them, not Node's warning at 10.
  if (target instanceof EventTarget) setMaxListeners(Number.POSITIVE_INFINITY, target);
  const pubsub = createPubSub<Record<string, [MembershipEvent]>>({ eventTarget: target as never });
  const open = new Set<LocalSubscriber>();
  let closed = false;

  async function route(change: ObservedChange): Promise<string | undefined> {
    if (change.accountId) return change.accountId;
    const remembered = await store.accountOf(change.membershipId);
    if (remembered) return remembered;
    // A deletion carries only its id: a membership never seen cannot be routed by a lookup either.
    if (change.type === 'DELETED' || !options.lookupAccount) return undefined;
    return options.lookupAccount(change.membershipId, change.accountMemberId).catch(() => undefined);
  }

  class LocalSubscriber implements Subscriber {
    private readonly queue: MembershipEvent[] = [];
    private waiting: ((event: MembershipEvent | undefined) => void) | undefined;
    private readonly listener: (event: Event) => void;
    ended: EndReason | undefined;

    constructor(readonly accountId: string) {
      this.listener = (event) => this.push((event as CustomEvent<MembershipEvent>).detail);
      target.addEventListener(topic(accountId), this.listener);
    }

    push(event: MembershipEvent, force = false): void {
      if (this.ended) return;
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(event);
        return;
      }
      if (!force && this.queue.length >= options.bufferSize) {
        this.end('slow');
        return;
      }
      this.queue.push(event);
    }

    next(): Promise<MembershipEvent | undefined> {
      const queued = this.queue.shift();
      if (queued || this.ended) return Promise.resolve(queued);
      return new Promise((resolve) => (this.waiting = resolve));
    }

    end(reason: EndReason): void {
      if (this.ended) return;
      this.ended = reason;
      this.queue.length = 0;
      target.removeEventListener(topic(this.accountId), this.listener);
      open.delete(this);
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve?.(undefined);
    }
  }

  const remember = (membershipId: string, accountId: string) => store.rememberAccount(membershipId, accountId, memoryTtlMs).catch(() => {});

  return {
    async publish(change) {
      const key = claimKey(change);
      // A deletion is claimed before it is routed: its tombstone then stops a create delivered
      // after it even when the deletion itself could not be routed. Other changes are claimed
      // only once routed, so that an unroutable copy never hides the gateway's own announcement.
      const tombstone = change.type === 'DELETED' ? await store.claim(key, memoryTtlMs) : undefined;
      let claimed = tombstone === 'claimed';
      try {
        const accountId = await route(change);
        if (!accountId) {
          options.observe?.(change, 'unroutable');
          return 'unroutable';
        }
        const outcome =
          tombstone ?? (await store.claim(key, memoryTtlMs, change.type === 'CREATED' ? `DELETED:${change.membershipId}` : undefined));
        claimed = outcome === 'claimed';
        await remember(change.membershipId, accountId);
        if (outcome !== 'claimed') {
          options.observe?.(change, outcome);
          return outcome;
        }
        const event: MembershipEvent = {
          id: change.id,
          type: change.type,
          accountId,
          membershipId: change.membershipId,
          accountMemberId: change.accountMemberId,
          record: change.record,
          occurredAt: change.occurredAt,
          receivedAt: new Date().toISOString(),
          source: change.source,
        };
        pubsub.publish(topic(accountId), event);
        await options.dispatched?.();
        options.observe?.(change, 'published');
        return 'published';
      } catch (error) {
        if (claimed) await store.release(key).catch(() => {});
        throw error;
      }
    },
    rememberAccount: remember,
    resync(accountId) {
      for (const subscriber of open) {
        if (accountId !== undefined && subscriber.accountId !== accountId) continue;
        subscriber.push(
          {
            id: randomUUID(),
            type: 'RESYNC',
            accountId: subscriber.accountId,
            membershipId: null,
            accountMemberId: null,
            record: null,
            occurredAt: null,
            receivedAt: new Date().toISOString(),
            source: 'GATEWAY',
          },
          true,
        );
      }
    },
    subscribe(accountId) {
      if (closed) throw new BusClosedError();
      if (open.size >= options.maxSubscribers) throw new TooManySubscribersError(options.maxSubscribers);
      const subscriber = new LocalSubscriber(accountId);
      open.add(subscriber);
      return subscriber;
    },
    subscribers: () => open.size,
    close() {
      closed = true;
      for (const subscriber of [...open]) subscriber.end('closing');
    },
  };
}
