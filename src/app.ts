/**
 * Builds the gateway's Yoga instance from its dependencies. It never listens and never reads the
 * environment: the server, the tests and the benchmarks all build the same app here.
 */
import { createYoga, type CORSOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { refuseUnacceptable } from './acceptable.js';
import type { Config } from './config.js';
import { createContext, credentialsFrom, type Context } from './context.js';
import { CallBudget } from './cost/budget.js';
import { costPlugin } from './cost/plugin.js';
import { requestDeadline, type Deadline } from './deadline.js';
import { yogaLogger, type Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import { loggedErrors, operationOf, observeRequests, type RequestSink } from './observability/records.js';
import { protectionPlugins } from './protection.js';
import { reconciledExtension } from './reconciliation.js';
import { schema } from './schema/index.js';
import type { SubscriptionServices } from './events/subscriptions.js';
import type { CallScope } from './upstream/account-management.js';
import type { UpstreamClient } from './upstream/client.js';

export interface GraphiqlOptions {
  /** The operation GraphiQL opens with. */
  defaultQuery?: string;
  /** Headers GraphiQL opens with, e.g. a demo `Authorization` header. */
  headers?: Record<string, string>;
}

/** Where the process is in its life; `/readiness` answers 200 only while 'ready'. */
export interface Lifecycle {
  state: 'starting' | 'ready' | 'draining';
}

export interface AppDependencies {
  config: Config;
  upstream: UpstreamClient;
  logger: Logger;
  /** GraphiQL's pre-filled operation and headers, when `config.graphiql` is on. */
  graphiql?: GraphiqlOptions;
  lifecycle?: Lifecycle;
  /** Served at `/metrics` unless `config.metricsPort` moves them to their own listener. */
  metrics?: Metrics;
  /** Told about every finished request (the access log, the metrics). */
  sinks?: RequestSink[];
  /** Plugins that observe requests (tracing), run right after the records are made. */
  observers?: Plugin[];
  /** The membership event bus and per-event scopes; without them, writes announce nothing. */
  subscriptions?: SubscriptionServices;
}

export type App = YogaServerInstance<Record<string, unknown>, Context>;

/** Headers a browser may send: the credentials, JSON, request ids and client names. */
const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'ep-account-management-authentication-token',
  'x-request-id',
  'graphql-client-name',
  'graphql-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-graphql-yoga-csrf',
];

export function createApp({
  config,
  upstream,
  logger,
  graphiql = {},
  lifecycle = { state: 'ready' },
  metrics,
  sinks = [],
  observers = [],
  subscriptions,
}: AppDependencies): App {
  const loaderOptions = { lookupConcurrency: config.epLookupConcurrency, memberBatchLookup: config.epMemberBatchLookup };
  const requests = new WeakMap<Request, RequestScope>();
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: yogaLogger(logger, loggedErrors),
    // Never attach original messages or stacks, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    batching: config.batchLimit > 0 ? { limit: config.batchLimit } : false,
    // The node server refuses larger bodies first (and hands JSON bodies on parsed, which this limit
    // then never streams); the same limit holds wherever else the app is mounted.
    maxRequestBodySize: config.maxBodyBytes,
    // GraphQL over HTTP's trusted-document id: read by trusted-documents.ts, harmless without a list.
    extraParamNames: ['documentId'],
    cors: corsOptions(config),
    renderGraphiQL,
    graphiql: config.graphiql && {
      title: 'Elastic Path account memberships',
      defaultQuery: graphiql.defaultQuery,
      headers: graphiql.headers ? JSON.stringify(graphiql.headers, null, 2) : undefined,
      shouldPersistHeaders: false,
      // GraphiQL sends subscriptions (SSE) by GET unless told otherwise, which CSRF prevention refuses.
      method: 'POST',
    },
    plugins: [
      observeRequests(sinks, logger),
      ...observers,
      ...(metrics && config.metricsPort === undefined ? [metricsEndpoint(metrics)] : []),
      readiness(lifecycle, config.readinessFollowsBreaker ? upstream : undefined),
      refuseUnacceptable(),
      releaseRequestScopes(requests),
      ...protectionPlugins(config, logger),
      costPlugin(config),
      reconciledExtension(),
    ],
    context: (initial) => {
      const { request } = initial;
      // What a batch's operations share, as they share one caller: one deadline (which also ends
      // when the caller goes away), one call budget, and the reads already made.
      let shared = requests.get(request);
      if (!shared) {
        shared = {
          deadline: requestDeadline(request, config.operationTimeoutMs),
          budget: new CallBudget(config.maxUpstreamCalls),
          reads: new Map(),
        };
        requests.set(request, shared);
      }
      return createContext({
        upstream,
        credentials: credentialsFrom(request.headers),
        scope: { signal: shared.deadline.signal, meter: operationOf(initial), budget: shared.budget, reads: shared.reads },
        loaderOptions,
        bulkConcurrency: config.epBulkConcurrency,
        subscriptions,
        logger,
      });
    },
  });
}

/**
 * `false` turns CORS off: no access-control headers at all, so browsers on other origins are refused.
 *
 * The origin is matched here rather than by Yoga: given a list, Yoga answers an unlisted origin
 * with `access-control-allow-origin: null` (which a sandboxed page's `Origin: null` matches), and
 * a one-origin list with that origin whoever asks and no `Vary`. An allowed origin is echoed with
 * `Vary: Origin` (Yoga's treatment of `'*'`); any other gets no access-control headers.
 */
function corsOptions(config: Config): CORSOptions | ((request: Request) => CORSOptions) {
  if (config.corsOrigins !== '*' && config.corsOrigins.length === 0) return false;
  const allowed: CORSOptions = {
    origin: '*',
    credentials: config.corsCredentials,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ['x-request-id'],
    methods: ['GET', 'POST', 'OPTIONS'],
    maxAge: 600,
  };
  if (config.corsOrigins === '*') return allowed;
  const origins = new Set(config.corsOrigins);
  return (request) => (origins.has(request.headers.get('origin') ?? '') ? allowed : false);
}

/** What the operations of one HTTP request share; it dies with the response. */
interface RequestScope {
  deadline: Deadline;
  budget: CallBudget;
  reads: NonNullable<CallScope['reads']>;
}

/** Keep-alive requests never abort their signal, so each deadline is released with its response. */
function releaseRequestScopes(requests: WeakMap<Request, RequestScope>): Plugin {
  return {
    onResponse({ request }) {
      requests.get(request)?.deadline.release();
      requests.delete(request);
    },
  };
}

/**
 * `/readiness`: 200 only while serving; 503 while starting or draining. With
 * READINESS_FOLLOWS_BREAKER, also 503 while the upstream breaker is open.
 */
function readiness(lifecycle: Lifecycle, breakerOf: UpstreamClient | undefined): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      // The string test first: reading `url` parses the request's URL, on every request.
      if (!request.url.includes('/readiness') || url.pathname !== '/readiness') return;
      const breaker = breakerOf?.stats().breaker;
      const ready = lifecycle.state === 'ready' && breaker !== 'open';
      endResponse(
        new fetchAPI.Response(JSON.stringify({ ready, state: lifecycle.state, ...(breaker && { upstream: breaker }) }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}

/**
 * `GET /metrics` on the gateway's own port. Synchronous for every other request: the body is
 * already flowing (the size limit counts it), and an await here would let it pass unread.
 */
function metricsEndpoint(metrics: Metrics): Plugin {
  return {
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (request.method !== 'GET' || !request.url.includes('/metrics') || url.pathname !== '/metrics') return undefined;
      return metrics.render().then(({ contentType, body }) =>
        endResponse(new fetchAPI.Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } })),
      );
    },
  };
}
