/**
 * Builds the gateway's Yoga instance from its dependencies. It never listens and never reads the
 * environment: the server, the tests and the benchmarks all build the same app here.
 */
import { createYoga, type CORSOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { createContext, credentialsFrom, type Context } from './schema/context.js';
import { useCostEstimate } from './plugins/use-cost-estimate.js';
import { GRAPHQL_PATH, HEALTH_PATH } from './http/paths.js';
import { yogaLogger, type Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { loggedErrors, operationOf, observeRequests, type RequestSink } from './observability/records.js';
import { useAcceptableMedia } from './plugins/use-acceptable-media.js';
import { renderGraphiQLPage, useGraphiQLAssets } from './plugins/use-graphiql-assets.js';
import { useMetricsEndpoint } from './plugins/use-metrics-endpoint.js';
import { useMutationFieldLimit } from './plugins/use-mutation-field-limit.js';
import { usePreflightRefusal } from './plugins/use-preflight-refusal.js';
import { usePrivateAnswers } from './plugins/use-private-answers.js';
import { useReadiness, type Lifecycle } from './plugins/use-readiness.js';
import { useReconciledExtension } from './plugins/use-reconciled-extension.js';
import { useRequestErrorCodes } from './plugins/use-request-error-codes.js';
import { useRequestScopes } from './plugins/use-request-scopes.js';
import { protectionPlugins } from './plugins/use-protection.js';
import { schema } from './schema/index.js';
import type { SubscriptionServices } from './events/subscriptions.js';
import type { UpstreamClient } from './upstream/client.js';
import { useBulkClassification } from './plugins/use-bulk-classification.js';

export interface GraphiqlOptions {
  /** The operation GraphiQL opens with. */
  defaultQuery?: string;
  /** Headers GraphiQL opens with, e.g. a demo `Authorization` header. */
  headers?: Record<string, string>;
}

export type { Lifecycle };

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
  /** The trusted documents list, read and checked against the schema at start (TRUSTED_DOCUMENTS_FILE). */
  trustedDocuments?: ReadonlyMap<string, string>;
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
  trustedDocuments,
}: AppDependencies): App {
  const loaderOptions = { lookupConcurrency: config.epLookupConcurrency, memberBatchLookup: config.epMemberBatchLookup };
  const scopes = useRequestScopes(config);
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: HEALTH_PATH,
    landingPage: false,
    logging: yogaLogger(logger, loggedErrors),
    // Never attach original messages or stacks, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    batching: config.batchLimit > 0 ? { limit: config.batchLimit } : false,
    // The node server refuses larger bodies first (and hands JSON bodies on parsed, which this limit
    // then never streams); the same limit holds wherever else the app is mounted.
    maxRequestBodySize: config.maxBodyBytes,
    // GraphQL over HTTP's trusted-document id: read by plugins/use-trusted-documents.ts, harmless without a list.
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
      useRequestErrorCodes(),
      observeRequests(sinks, logger, scopes.callerLeft),
      ...observers,
      ...(metrics && config.metricsPort === undefined ? [useMetricsEndpoint(metrics)] : []),
      ...(config.graphiql ? [useGraphiQLAssets()] : []),
      useReadiness(lifecycle, config.readinessFollowsBreaker ? upstream : undefined),
      usePreflightRefusal(),
      usePrivateAnswers(config.corsOrigins !== '*' && config.corsOrigins.length === 0),
      useAcceptableMedia(config.graphiql),
      scopes.plugin,
      ...protectionPlugins(config, logger, trustedDocuments),
      useMutationFieldLimit(config.maxMutationFields),
      useCostEstimate(config),
      useBulkClassification(config),
      useReconciledExtension(),
    ],
    context: (initial) => {
      const { request } = initial;
      const shared = scopes.of(request);
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
