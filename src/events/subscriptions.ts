/**
 * What a subscription needs beyond its request: the bus, and a fresh scope for every event. An
 * event is resolved as if it were a request of its own: its own deadline (OPERATION_TIMEOUT_MS),
 * its own call budget (SUBSCRIPTION_EVENT_MAX_CALLS), its own identical-read sharing and loaders,
 * all bound to that subscriber's token. Its reads (and the authorization checks) are bulk work
 * in the upstream quota: together they start at most EP_API_BULK_SHARE percent of EP_API_MAX_RPS
 * in any sliding second, per process or with REDIS_URL fleet-wide, waiting in turn subscriber by
 * subscriber, so more subscribers cannot multiply the store's load without bound, and the
 * callers' own operations keep the rest of the budget.
 */
import type { Config } from '../config.js';
import { UpstreamStatusError, fromUpstream } from '../domain/errors.js';
import type { GraphQLError } from 'graphql';
import { CallBudget } from '../cost/budget.js';
import { createLoaders, type Loaders } from '../upstream/loaders.js';
import type { Logger } from '../observability/logger.js';
import {
  RequestReads,
  createAccountManagementApi,
  type AccountManagementApi,
  type OperationMeter,
} from '../upstream/account-management.js';
import type { CallerCredentials, UpstreamClient } from '../upstream/client.js';
import type { EndReason, EventBus } from './bus.js';

export type SubscriptionSettings = Pick<
  Config,
  | 'operationTimeoutMs'
  | 'subscriptionAuthRecheckMs'
  | 'subscriptionBuffer'
  | 'subscriptionEventMaxCalls'
  | 'subscriptionsMax'
  | 'epLookupConcurrency'
  | 'epMemberBatchLookup'
>;

/** One event's API and loaders; `release` drops its deadline once the event has been sent. */
export interface EventScope {
  api: AccountManagementApi;
  loaders: Loaders;
  release(): void;
}

/** How one subscription went, for its closing access-log line and the metrics. */
export interface SubscriptionSummary {
  requestId: string | undefined;
  operationName: string | undefined;
  reason: EndReason;
  events: number;
  upstreamCalls: number;
  durationMs: number;
}

export interface SubscriptionServices {
  bus: EventBus;
  settings: SubscriptionSettings;
  /**
   * A scope for one event (or one authorization check) with the subscriber's credentials.
   * `refused` hears of Elastic Path refusing the token (401, 403), whichever field met it.
   */
  openScope(credentials: CallerCredentials | Error | null, meter: OperationMeter, refused: (error: GraphQLError) => void): EventScope;
  /** A subscription ended. */
  ended(summary: SubscriptionSummary): void;
}

export function createSubscriptionServices(
  settings: SubscriptionSettings,
  dependencies: { bus: EventBus; upstream: UpstreamClient; logger: Logger; ended?: (reason: EndReason) => void },
): SubscriptionServices {
  const { bus, upstream, logger } = dependencies;
  const loaderOptions = { lookupConcurrency: settings.epLookupConcurrency, memberBatchLookup: settings.epMemberBatchLookup };

  return {
    bus,
    settings,
    openScope(credentials, meter, refused) {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new DOMException('The event ran out of time', 'TimeoutError')),
        settings.operationTimeoutMs,
      );
      timer.unref();
      const { signal } = controller;
      // The same client as every call, its starts taken from the quota's bulk share.
      const client: UpstreamClient = {
        ...upstream,
        async send(caller, request) {
          try {
            return await upstream.send(caller, { ...request, bulk: true });
          } catch (error) {
            if (error instanceof UpstreamStatusError && (error.upstream.status === 401 || error.upstream.status === 403))
              refused(fromUpstream(error.upstream, {}) as GraphQLError);
            throw error;
          }
        },
      };
      const api = createAccountManagementApi(client, credentials, {
        signal,
        meter,
        budget: new CallBudget(settings.subscriptionEventMaxCalls),
        reads: new RequestReads(),
      });
      return {
        api,
        loaders: createLoaders(api, loaderOptions),
        release() {
          clearTimeout(timer);
        },
      };
    },
    ended(summary) {
      dependencies.ended?.(summary.reason);
      if (!logger.isLevelEnabled('info')) return;
      logger.info(
        {
          requestId: summary.requestId,
          operationName: summary.operationName,
          operationType: 'subscription',
          endReason: summary.reason,
          events: summary.events,
          upstreamCalls: summary.upstreamCalls,
          durationMs: Math.round(summary.durationMs * 100) / 100,
        },
        'subscription ended',
      );
    },
  };
}
