/**
 * The per-request context, built from plain values. Everything that can reach Elastic Path hangs
 * off the caller's credentials here, and dies with the request.
 */
import { createLoaders, type LoaderOptions, type Loaders } from '../upstream/loaders.js';
import { createAccountManagementApi, type AccountManagementApi, type CallScope } from '../upstream/account-management.js';
import { malformedAccountToken } from '../domain/errors.js';
import { MAX_SPECULATIVE_READS } from './speculative-reads.js';
import { announceWrites } from '../events/announce-writes.js';
import type { SubscriptionServices } from '../events/subscriptions.js';
import type { Logger } from '../observability/logger.js';
import type { CallerCredentials, UpstreamClient } from '../upstream/client.js';

export interface Context {
  /** Elastic Path calls bound to this caller; they throw UNAUTHENTICATED when there is no token. */
  api: AccountManagementApi;
  loaders: Loaders;
  /** Elastic Path calls one bulk mutation keeps in flight at once (EP_BULK_CONCURRENCY). */
  bulkConcurrency: number;
  /** What is left of the operation's speculative reads (see src/schema/speculative-reads.ts). */
  speculativeReads: { left: number };
  /** The caller's credentials: a subscription binds each event's own calls to them. */
  credentials: CallerCredentials | Error | null;
  /** The event bus and per-event scopes, shared by the whole app. */
  subscriptions?: SubscriptionServices;
}

export interface ContextInput {
  upstream: UpstreamClient;
  /** What `credentialsFrom` made of the request's headers. */
  credentials: CallerCredentials | Error | null;
  /** The operation's deadline (which also fires when the caller goes away), counters and trace. */
  scope?: CallScope;
  loaderOptions: LoaderOptions;
  bulkConcurrency: number;
  subscriptions?: SubscriptionServices;
  /** Where a write that could not be announced is logged. */
  logger?: Logger;
}

export function createContext({
  upstream,
  credentials,
  scope,
  loaderOptions,
  bulkConcurrency,
  subscriptions,
  logger,
}: ContextInput): Context {
  let api = createAccountManagementApi(upstream, credentials, scope);
  // Successful writes are announced to subscribers (source GATEWAY).
  if (subscriptions && logger) api = announceWrites(api, subscriptions.bus, logger);
  // A plain property: envelop copies the context with Object.assign, which would call a getter
  // here for every request. The loaders inside are made on first use.
  return {
    api,
    loaders: createLoaders(api, loaderOptions),
    bulkConcurrency,
    speculativeReads: { left: MAX_SPECULATIVE_READS },
    credentials,
    subscriptions,
  };
}

// RFC 6750 b64token; anything else is not a bearer token and is not forwarded.
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

/**
 * Picks the caller's Elastic Path credentials out of the request headers: the `Authorization`
 * header verbatim when it is a Bearer token, and `EP-Account-Management-Authentication-Token`
 * when present. No other incoming header ever travels upstream. `null` without a usable
 * `Authorization`; an UNAUTHENTICATED error naming the header when the account token is sent but
 * malformed, rather than dropping it and letting Elastic Path answer FORBIDDEN. Either is thrown
 * only by calls that reach Elastic Path.
 */
export function credentialsFrom(headers: Headers): CallerCredentials | Error | null {
  const authorization = headers.get('authorization')?.trim();
  if (!authorization || authorization.length > MAX_TOKEN_LENGTH || !BEARER.test(authorization)) return null;
  const accountManagementToken = headers.get('ep-account-management-authentication-token')?.trim();
  if (!accountManagementToken) return { authorization };
  return accountManagementToken.length <= MAX_TOKEN_LENGTH && TOKEN.test(accountManagementToken)
    ? { authorization, accountManagementToken }
    : malformedAccountToken();
}
