/**
 * `accountMembershipEvents`: an account's membership changes, live. Fed by the gateway's own
 * writes and Elastic Path's webhook deliveries through the event bus (src/events/bus.ts), each
 * change once. Each event is resolved in a scope of its own, with that subscriber's token.
 */
import { GraphQLError } from 'graphql';
import { builder } from './builder.js';
import { cost } from '../cost/declare.js';
import type { Context } from './context.js';
import { ErrorCode, asTopLevel, shuttingDown, slowSubscriber, subscriptionLimit } from '../domain/errors.js';
import { BusClosedError, TooManySubscribersError, type MembershipEvent } from '../events/bus.js';
import type { EventScope } from '../events/subscriptions.js';
import { operationOf, recordOf } from '../observability/records.js';
import type { OperationMeter } from '../upstream/account-management.js';
import { AccountMembership, type AccountMembershipShape } from './account-membership.js';
import { uuidArgument } from './error-adapters.js';

const AccountMembershipEventType = builder.enumType('AccountMembershipEventType', {
  description: 'What happened to a membership.',
  values: {
    CREATED: { description: 'The membership was added.' },
    UPDATED: { description: 'The membership was changed.' },
    DELETED: { description: 'The membership was removed; `membership` is null.' },
    RESYNC: {
      description:
        'Events may have been lost (the event bus restarted or was unreachable): refetch what you show instead of trusting a gap. Carries no membership.',
    },
  } as const,
});

const AccountMembershipEventSource = builder.enumType('AccountMembershipEventSource', {
  description: 'Who announced the change.',
  values: {
    GATEWAY: { description: 'A write made through this gateway (or the gateway itself, for RESYNC).' },
    ELASTIC_PATH: { description: "Elastic Path's integration event, delivered to the gateway's webhook." },
  } as const,
});

/** What the subscription yields: an event, or the error that ends the stream. */
type EventItem = MembershipEvent | { end: GraphQLError };

const AccountMembershipEvent = builder.objectRef<MembershipEvent>('AccountMembershipEvent').implement({
  description:
    "One change to an account's memberships. Fields the event carries (ids, times, `membership { id createdAt accountMember { id } }`) cost no Elastic Path call; other fields of `membership` are read with the subscriber's token.",
  fields: (t) => ({
    id: t.exposeID('id', { ...cost.free(), description: "The event's id (Elastic Path's for ELASTIC_PATH events)." }),
    type: t.field({ ...cost.free(), type: AccountMembershipEventType, resolve: (event) => event.type }),
    accountId: t.exposeID('accountId', { ...cost.free(), description: 'The account whose memberships changed.' }),
    membershipId: t.exposeID('membershipId', { ...cost.free(), nullable: true, description: 'The membership; null for RESYNC.' }),
    accountMemberId: t.exposeID('accountMemberId', {
      ...cost.free(),
      nullable: true,
      description: "The member, where known (Elastic Path's deletions carry only the membership id).",
    }),
    membership: t.field({
      ...cost.within(),
      type: AccountMembership,
      nullable: true,
      description: 'The membership as the event describes it; null for DELETED and RESYNC.',
      resolve: (event) => membershipOf(event),
    }),
    occurredAt: t.field({
      ...cost.free(),
      type: 'DateTime',
      nullable: true,
      description: "When the change happened, when known (Elastic Path's deletions carry no time).",
      resolve: (event) => event.occurredAt,
    }),
    receivedAt: t.field({
      ...cost.free(),
      type: 'DateTime',
      description: 'When the gateway received the change.',
      resolve: (event) => event.receivedAt,
    }),
    source: t.field({ ...cost.free(), type: AccountMembershipEventSource, resolve: (event) => event.source }),
  }),
});

function membershipOf(event: MembershipEvent): AccountMembershipShape | null {
  const { record } = event;
  if (!record || event.type === 'DELETED') return null;
  return {
    id: record.id,
    accountId: event.accountId,
    accountMemberId: record.relationships.account_member.data.id,
    createdAt: record.meta.timestamps.created_at,
    updatedAt: record.meta.timestamps.updated_at,
  };
}

builder.subscriptionField('accountMembershipEvents', (t) =>
  t.field({
    // Per event, as the subscription's estimate and budget count: the event carries its membership's
    // record. The token checks around the stream are the subscription's own, outside any event.
    ...cost.of({ yields: 'records' }, { objectType: true }),
    type: AccountMembershipEvent,
    description:
      "An account's membership changes as they happen: the gateway's own writes at once, and Elastic Path's integration events (webhook) for changes made elsewhere, each change once. Needs a token that can read the account's memberships, checked before the stream starts and again every SUBSCRIPTION_AUTH_RECHECK_MS; when Elastic Path refuses it, the stream ends with UNAUTHENTICATED or FORBIDDEN. A subscriber that falls behind ends with SLOW_SUBSCRIBER.",
    args: { accountId: t.arg.id({ required: true, description: 'The account (a UUID).' }) },
    subscribe: (_root, args, context) => membershipEvents(uuidArgument(args.accountId, 'accountId'), context),
    resolve: (item: EventItem) => {
      if ('end' in item) throw item.end;
      return item;
    },
  }),
);

/** Elastic Path refused the token: the stream ends so that the client can get a new one and subscribe again. */
const isRefusal = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && (error.extensions.code === ErrorCode.UNAUTHENTICATED || error.extensions.code === ErrorCode.FORBIDDEN);

/**
 * Checks the token with a memberships read (an implicit token with an account token may read the
 * memberships but not the account), remembering the account of each membership it sees, then
 * returns the stream. A refusal is thrown before the stream starts.
 */
async function membershipEvents(accountId: string, context: Context): Promise<AsyncIterableIterator<EventItem>> {
  const services = context.subscriptions;
  if (!services) throw new GraphQLError('Subscriptions are not served here.');
  const { bus, settings } = services;
  const meter: OperationMeter = operationOf(context) ?? { calls: 0, retries: 0 };
  const credentials = context.credentials;
  let refusal: GraphQLError | undefined;
  let subscriber: ReturnType<typeof bus.subscribe>;

  const authorize = async () => {
    const scope = services.openScope(credentials, meter, () => {});
    try {
      const page = await scope.api.listAccountMemberships(accountId, { page: { limit: 100, offset: 0 }, includeMembers: false });
      await Promise.all(page.data.map((membership) => bus.rememberAccount(membership.id.toLowerCase(), accountId)));
    } catch (error) {
      throw asTopLevel(error);
    } finally {
      scope.release();
    }
  };
  await authorize();

  try {
    subscriber = bus.subscribe(accountId);
  } catch (error) {
    if (error instanceof TooManySubscribersError) throw subscriptionLimit(error.limit, 'process');
    if (error instanceof BusClosedError) throw shuttingDown();
    throw error;
  }
  const open = subscriber;
  const started = performance.now();
  const request = (context as Context & { request?: Request }).request;
  const requestId = request ? recordOf(request)?.id : undefined;

  // Tokens last an hour: checked again on a timer, and whenever an event's own read is refused.
  const recheck = setInterval(() => {
    authorize().catch((error: unknown) => {
      if (!isRefusal(error)) return;
      refusal = error;
      open.end('unauthorized');
    });
  }, settings.subscriptionAuthRecheckMs);
  recheck.unref();

  const served = services;
  async function* stream(): AsyncGenerator<EventItem> {
    let scope: EventScope | undefined;
    let events = 0;
    try {
      for (;;) {
        const event = await open.next();
        scope?.release();
        scope = undefined;
        if (!event) break;
        events += 1;
        // The event's fields resolve in a scope of their own: a fresh deadline, budget, reads and
        // loaders, bound to this subscriber's token. Events of one stream run one at a time.
        scope = served.openScope(credentials, meter, (error) => {
          refusal ??= error;
          open.end('unauthorized');
        });
        context.api = scope.api;
        context.loaders = scope.loaders;
        yield event;
      }
      if (open.ended === 'slow') yield { end: slowSubscriber(settings.subscriptionBuffer) };
      else if (open.ended === 'unauthorized' && refusal) yield { end: refusal };
    } finally {
      scope?.release();
      clearInterval(recheck);
      open.end('client');
      const reason = open.ended ?? 'client';
      served.ended({
        requestId,
        operationName: operationOf(context)?.name,
        reason,
        events,
        upstreamCalls: meter.calls,
        durationMs: performance.now() - started,
      });
    }
  }
  // A generator waiting for the next event would hear `return()` (the client left) only at its next
  // `yield`; ending the subscriber first wakes it, so that it finishes at once.
  const events = stream();
  const iterator: AsyncIterableIterator<EventItem> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => events.next(),
    return(value?: unknown) {
      open.end('client');
      return events.return(value as EventItem);
    },
    throw(error?: unknown) {
      open.end('error');
      return events.throw(error);
    },
  };
  return iterator;
}
