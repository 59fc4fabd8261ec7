/**
 * Builds the gateway's Yoga instance from its dependencies. It never listens and never reads the
 * environment: the server, the tests and the benchmarks all build the same app here.
 */
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { Config } from './config.js';
import { createContext, credentialsFrom, type Context } from './context.js';
import { operationDeadline, type Deadline } from './deadline.js';
import { yogaLogger, type Logger } from './logger.js';
import { protectionPlugins } from './protection.js';
import { schema } from './schema/index.js';
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
}

export type App = YogaServerInstance<Record<string, unknown>, Context>;

export function createApp({ config, upstream, logger, graphiql = {}, lifecycle = { state: 'ready' } }: AppDependencies): App {
  const loaderOptions = { lookupConcurrency: config.epLookupConcurrency, memberBatchLookup: config.epMemberBatchLookup };
  const deadlines = new WeakMap<Request, Deadline>();
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: yogaLogger(logger),
    // Never attach original messages or stacks, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    batching: config.batchLimit > 0 ? { limit: config.batchLimit } : false,
    renderGraphiQL,
    graphiql: config.graphiql && {
      title: 'Elastic Path account memberships',
      defaultQuery: graphiql.defaultQuery,
      headers: graphiql.headers ? JSON.stringify(graphiql.headers, null, 2) : undefined,
      shouldPersistHeaders: false,
    },
    plugins: [readiness(lifecycle, upstream), releaseDeadlines(deadlines), ...protectionPlugins(config)],
    context: ({ request }) => {
      // One deadline for the whole operation, which also ends when the caller goes away.
      const deadline = operationDeadline(request.signal, config.operationTimeoutMs);
      deadlines.set(request, deadline);
      return createContext({
        upstream,
        credentials: credentialsFrom(request.headers),
        signal: deadline.signal,
        loaderOptions,
      });
    },
  });
}

/** Keep-alive requests never abort their signal, so each deadline is released with its response. */
function releaseDeadlines(deadlines: WeakMap<Request, Deadline>): Plugin {
  return {
    onResponse({ request }) {
      deadlines.get(request)?.release();
      deadlines.delete(request);
    },
  };
}

/** `/readiness`: 503 while starting, draining, or while the upstream circuit breaker is open. */
function readiness(lifecycle: Lifecycle, upstream: UpstreamClient): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/readiness') return;
      const upstreamState = upstream.stats().breaker;
      const ready = lifecycle.state === 'ready' && upstream.isHealthy();
      endResponse(
        new fetchAPI.Response(JSON.stringify({ ready, state: lifecycle.state, upstream: upstreamState }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
