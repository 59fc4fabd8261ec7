/**
 * The composition root shared by `npm start`, `npm run dev`, the tests and the benchmark: one
 * upstream client and one app, built from a validated `Config`.
 */
import { createApp, type App, type GraphiqlOptions, type Lifecycle } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.js';

export interface Gateway {
  app: App;
  upstream: UpstreamClient;
  lifecycle: Lifecycle;
}

export function createGateway(config: Config, logger: Logger, graphiql?: GraphiqlOptions): Gateway {
  const upstream = createUpstreamClient({
    baseUrl: config.epApiBaseUrl,
    timeoutMs: config.epApiTimeoutMs,
    connections: config.epApiConnections,
    maxRps: config.epApiMaxRps,
    queueLimit: config.epApiQueueLimit,
    maxAttempts: config.epApiMaxAttempts,
    retryBaseMs: config.epApiRetryBaseMs,
    retryBudgetPercent: config.epApiRetryBudgetPercent,
    breakerThreshold: config.epApiBreakerThreshold,
    breakerCooldownMs: config.epApiBreakerCooldownMs,
    maxResponseBytes: config.epApiMaxResponseBytes,
  });
  const lifecycle: Lifecycle = { state: 'starting' };
  const app = createApp({ config, upstream, logger, graphiql, lifecycle });
  return { app, upstream, lifecycle };
}
