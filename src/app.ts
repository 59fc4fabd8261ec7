/**
 * Builds the gateway's Yoga instance from its dependencies. It never listens and never reads the
 * environment: the server, the tests and the benchmarks all build the same app here.
 */
import { createYoga, type CORSOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { refuseUnacceptable } from './acceptable.js';
import type { Config } from './config.js';
import { createContext, credentialsFrom, type Context } from './context.js';
import { CallBudget } from './cost/budget.js';
import { costPlugin } from './cost/plugin.js';
import { requestDeadline, type Deadline } from './deadline.js';
import { codeRequestErrors } from './errors.js';
import { yogaLogger, type Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import { loggedErrors, operationOf, observeRequests, type RequestSink } from './observability/records.js';
import { renderGraphiQLPage, useGraphiQLAssets } from './plugins/use-graphiql-assets.js';
import { protectionPlugins } from './protection.js';
import { useMutationFieldLimit } from './plugins/use-mutation-field-limit.js';
import { reconciledExtension } from './reconciliation.js';
import { schema } from './schema/index.js';
import type { SubscriptionServices } from './events/subscriptions.js';
import { RequestReads } from './upstream/account-management.js';
import type { UpstreamClient } from './upstream/client.js';
import { useBulkClassification } from './upstream/quota/use-bulk-classification.js';

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
    renderGraphiQL: renderGraphiQLPage,
    graphiql: config.graphiql && {
      title: 'Elastic Path account memberships',
      defaultQuery: graphiql.defaultQuery,
      headers: graphiql.headers ? JSON.stringify(graphiql.headers, null, 2) : undefined,
      shouldPersistHeaders: false,
      // GraphiQL sends subscriptions (SSE) by GET unless told otherwise, which CSRF prevention refuses.
      method: 'POST',
    },
    plugins: [
      // First, so that logs, metrics and traces see the code too.
      requestErrorCodes(),
      observeRequests(sinks, logger),
      ...observers,
      ...(metrics && config.metricsPort === undefined ? [metricsEndpoint(metrics)] : []),
      ...(config.graphiql ? [useGraphiQLAssets()] : []),
      readiness(lifecycle, config.readinessFollowsBreaker ? upstream : undefined),
      answerPreflights(),
      privateAnswers(config.corsOrigins !== '*' && config.corsOrigins.length === 0),
      refuseUnacceptable(config.graphiql),
      releaseRequestScopes(requests),
      ...protectionPlugins(config, logger, schema),
      useMutationFieldLimit(config.maxMutationFields),
      costPlugin(config),
      useBulkClassification(config),
      reconciledExtension(),
    ],
    context: (initial) => {
      const { request } = initial;
      // What a batch's operations share, as they share one caller: one deadline (which also ends
      // when the caller goes away), one call budget, and the reads already made.
      let shared = requests.get(request);
      if (!shared) {
        shared = {
          deadline: requestDeadline(request, config.operationTimeoutMs, lookupReserveMs(config)),
          budget: new CallBudget(config.maxUpstreamCalls),
          reads: new RequestReads(),
        };
        requests.set(request, shared);
      }
      return createContext({
        upstream,
        credentials: credentialsFrom(request.headers),
        scope: {
          signal: shared.deadline.signal,
          deadline: shared.deadline,
          meter: operationOf(initial),
          budget: shared.budget,
          reads: shared.reads,
        },
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

/**
 * A preflight that CORS did not answer (CORS off, or an origin not listed) gets 204 with no
 * access-control headers, which tells the browser no, instead of going on to be refused as a
 * request without a CSRF header. Like an allowed preflight, it writes no access-log line.
 */
function answerPreflights(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'OPTIONS') return;
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { allow: 'GET, POST, OPTIONS' } }));
    },
  };
}

/** The request headers whose value changes an answer: the credentials (and Origin, with CORS on). */
const CREDENTIAL_HEADERS = ['authorization', 'ep-account-management-authentication-token'];

/**
 * GET answers are what HTTP caches keep (a CDN in front of persisted queries). One that used a
 * token is that caller's alone: `Cache-Control: private, no-store`. Every GET answer from
 * /graphql also names what it depends on in `Vary`: the credentials, and the Origin that CORS reads.
 */
function privateAnswers(corsOff: boolean): Plugin {
  const dependsOn = corsOff ? CREDENTIAL_HEADERS : [...CREDENTIAL_HEADERS, 'origin'];
  return {
    onResponse({ request, response }) {
      if (request.method !== 'GET' || !request.url.includes('/graphql')) return;
      if (CREDENTIAL_HEADERS.some((name) => request.headers.has(name))) response.headers.set('cache-control', 'private, no-store');
      const vary = new Set((response.headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
      for (const name of dependsOn) vary.add(name);
      response.headers.set('vary', [...vary].join(', '));
    },
  };
}

/** What the operations of one HTTP request share; it dies with the response. */
interface RequestScope {
  deadline: Deadline;
  budget: CallBudget;
  reads: RequestReads;
}

/**
 * The time a write leaves, at the end of the deadline, to look up what it did if its answer is
 * lost: one lookup's worth (EP_API_TIMEOUT_MS), but never more than a quarter of the whole budget.
 */
function lookupReserveMs(config: Config): number {
  return Math.min(config.epApiTimeoutMs, Math.floor(config.operationTimeoutMs / 4));
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

/** Gives the errors graphql-js reports without a code (bad variables) theirs: `codeRequestErrors`. */
function requestErrorCodes(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (!result || !('errors' in result)) return;
      const errors = codeRequestErrors(result);
      if (errors) setResult({ ...result, errors });
    },
  };
}
