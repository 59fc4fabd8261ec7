/**
 * Builds the gateway's Yoga instance from its dependencies. It never listens and never reads the
 * environment: the server, the tests and the benchmarks all build the same app here.
 */
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createContext, credentialsFrom, type Context } from './context.js';
import type { LoaderOptions } from './loaders.js';
import { yogaLogger, type Logger } from './logger.js';
import { schema } from './schema/index.js';
import type { UpstreamClient } from './upstream/client.js';

export interface GraphiqlOptions {
  /** The operation GraphiQL opens with. */
  defaultQuery?: string;
  /** Headers GraphiQL opens with, e.g. a demo `Authorization` header. */
  headers?: Record<string, string>;
}

export interface AppDependencies {
  upstream: UpstreamClient;
  logger: Logger;
  /** Serve GraphiQL (from bundled assets, no CDN) on GET /graphql; `false` turns it off. */
  graphiql: GraphiqlOptions | false;
  /** How per-request loaders reach Elastic Path; see `LoaderOptions` for defaults. */
  loaderOptions?: Partial<LoaderOptions>;
}

const DEFAULT_LOADER_OPTIONS: LoaderOptions = { lookupConcurrency: 8, memberBatchLookup: false };

export type App = YogaServerInstance<Record<string, unknown>, Context>;

export function createApp({ upstream, logger, graphiql, loaderOptions }: AppDependencies): App {
  const loaders = { ...DEFAULT_LOADER_OPTIONS, ...loaderOptions };
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: yogaLogger(logger),
    // Never attach original messages or stacks, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    renderGraphiQL,
    graphiql: graphiql && {
      title: 'Elastic Path account memberships',
      defaultQuery: graphiql.defaultQuery,
      headers: graphiql.headers ? JSON.stringify(graphiql.headers, null, 2) : undefined,
      shouldPersistHeaders: false,
    },
    context: ({ request }) =>
      createContext({
        upstream,
        credentials: credentialsFrom(request.headers),
        signal: request.signal,
        loaderOptions: loaders,
      }),
  });
}
