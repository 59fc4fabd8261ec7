/**
 * The composition root shared by `npm start`, `npm run dev`, the tests and the benchmark: one
 * upstream client, one app and its observers, built from a validated `Config`, with the one way
 * to put them on a port (`listen`) and to take them down (`close`).
 */
import type { RequestListener } from 'node:http';
import { createApp, type App, type GraphiqlOptions, type Lifecycle } from './app.js';
import type { Config } from './config.js';
import { createEventBus, type EventBus } from './events/bus.js';
import { createAccountLookup } from './events/lookup-account.js';
import { createRedisEvents } from './events/redis-events.js';
import { createMemoryEventStore } from './events/store.js';
import { createSubscriptionServices } from './events/subscriptions.js';
import { webhookReceiver } from './events/webhook.js';
import { fastPath } from './http/fast-path.js';
import { attachWebSockets, type WebSocketEndpoint } from './http/graphql-ws.js';
import { startServer, type RunningServer } from './http/server.js';
import { GRAPHQL_PATH } from './http/paths.js';
import type { Logger } from './observability/logger.js';
import { accessLog } from './observability/access-log.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { metricsListener } from './plugins/use-metrics-endpoint.js';
import { createTracing, type SpanExporter, type Tracing } from './observability/tracing.js';
import { createUpstreamClient, type UpstreamClient, type UpstreamObserver } from './upstream/client.js';
import { createGatewayToken } from './upstream/client-credentials.js';
import { createQuota, type QuotaObserver } from './upstream/quota/quota.js';
import { schema } from './schema/index.js';
import { readTrustedDocuments } from './plugins/use-trusted-documents.js';

export interface GatewayOptions {
  graphiql?: GraphiqlOptions;
  /** Where spans go instead of OTLP/HTTP (tests); turns tracing on by itself. */
  spanExporter?: SpanExporter;
}

export interface Listening {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  /** Where `/metrics` is served when METRICS_PORT gives it a listener of its own. */
  metricsUrl?: string;
}

export interface Gateway {
  app: App;
  upstream: UpstreamClient;
  lifecycle: Lifecycle;
  metrics: Metrics;
  tracing: Tracing | undefined;
  /** The membership event bus (subscriptions, the webhook, the gateway's own writes). */
  events: EventBus;
  /** Listens on `config.host`/`config.port` (and METRICS_PORT), then turns ready. */
  listen(): Promise<Listening>;
  /**
   * Drains: `/readiness` turns 503 and requests are still served for SHUTDOWN_DELAY_MS; then the
   * listener closes, in-flight operations get SHUTDOWN_GRACE_MS, and the pool closes and spans are
   * flushed. Safe to call more than once.
   */
  close(): Promise<void>;
}

export function createGateway(config: Config, logger: Logger, options: GatewayOptions = {}): Gateway {
  const tracing = createTracing(config, options.spanExporter);
  // The metrics read the client's state, and the client reports each attempt to them.
  const observers: UpstreamObserver[] = [];
  // The quota reports to the metrics, which are built after the client they read.
  let quotaObserver: QuotaObserver | undefined;
  const quota = createQuota(config, {
    logger,
    observer: {
      granted: (kind, waitedMs) => quotaObserver?.granted(kind, waitedMs),
      held: (reason) => quotaObserver?.held(reason),
      refused: (reason) => quotaObserver?.refused(reason),
      cooledDown: () => quotaObserver?.cooledDown(),
    },
  });
  const upstream = createUpstreamClient(config, fanOut(observers), quota);
  const metrics = createMetrics({ maxOperationNames: config.metricsMaxOperationNames }, () => upstream.stats());
  quotaObserver = metrics.quota;
  observers.push(metrics.upstream);
  if (tracing) observers.push(tracing.upstream);
  const lifecycle: Lifecycle = { state: 'starting' };
  // In process by default; with REDIS_URL the fleet shares events and their memory through Redis.
  const shared = config.redisUrl ? createRedisEvents({ url: config.redisUrl, timeoutMs: config.redisTimeoutMs }, logger) : undefined;
  const events = createEventBus({
    store: shared?.store ?? createMemoryEventStore(),
    eventTarget: shared?.eventTarget,
    dispatched: shared?.dispatched,
    memoryTtlMs: config.eventMemoryTtlMs,
    bufferSize: config.subscriptionBuffer,
    maxSubscribers: config.subscriptionsMax,
    lookupAccount: config.epClientCredentials
      ? createAccountLookup(upstream, createGatewayToken({ ...config, ...config.epClientCredentials }), config)
      : undefined,
    observe: metrics.events.change,
  });
  metrics.events.openSubscriptions(events.subscribers);
  if (shared) {
    // Whatever was published while this replica could not listen is lost to its subscribers.
    shared.onRestored(() => events.resync());
    metrics.events.sharedBus(shared.connected);
  }
  const subscriptions = createSubscriptionServices(config, {
    bus: events,
    upstream,
    logger,
    ended: metrics.events.subscriptionEnded,
  });
  // Read and checked against the schema now: a bad list stops start-up, naming its first bad entry.
  const trustedDocuments = config.trustedDocumentsFile ? readTrustedDocuments(config.trustedDocumentsFile, schema) : undefined;
  const app = createApp({
    config,
    upstream,
    logger,
    graphiql: options.graphiql,
    lifecycle,
    metrics,
    sinks: [accessLog(logger), metrics.sink],
    observers: tracing ? [tracing.plugin] : [],
    subscriptions,
    trustedDocuments,
  });
  const webhook = config.epWebhookSecret
    ? webhookReceiver({ secret: config.epWebhookSecret, bus: events, logger, delivered: metrics.events.delivery })
    : undefined;
  const listener: RequestListener = webhook
    ? (req, res) => (req.url?.split('?')[0] === config.epWebhookPath ? webhook(req, res) : app(req, res))
    : app;
  let sockets: WebSocketEndpoint | undefined;

  let servers: RunningServer[] = [];
  let closing: Promise<void> | undefined;

  async function drain(): Promise<void> {
    lifecycle.state = 'draining';
    logger.info({ delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs }, 'draining');
    // Still serving, but not ready: load balancers notice and stop sending new work.
    if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
    // Streams end now (SSE completes; WebSocket operations complete, then sockets close with
    // 1001), so that their clients reconnect to a replica that is still ready.
    events.close();
    await sockets?.close();
    const forced = setTimeout(() => {
      logger.warn('grace period over: closing remaining connections');
      for (const running of servers) running.server.closeAllConnections();
    }, config.shutdownGraceMs);
    await Promise.all(servers.map((running) => running.close()));
    clearTimeout(forced);
    await upstream.close();
    await shared?.close();
    await tracing?.shutdown();
    logger.info('stopped');
  }

  return {
    app,
    upstream,
    lifecycle,
    metrics,
    tracing,
    events,
    async listen() {
      const timeouts = {
        requestMs: config.httpRequestTimeoutMs,
        headersMs: config.httpHeadersTimeoutMs,
        keepAliveMs: config.httpKeepAliveTimeoutMs,
      };
      const main = await startServer(listener, config.host, config.port, {
        maxBodyBytes: config.maxBodyBytes,
        timeouts,
        parsedBody: config.httpFastPath ? fastPath(app, metrics.fastPath) : undefined,
      });
      servers.push(main);
      sockets = attachWebSockets(main.server, app, config, lifecycle);
      let metricsUrl: string | undefined;
      if (config.metricsPort !== undefined) {
        const running = await startServer(metricsListener(metrics), config.host, config.metricsPort, { timeouts });
        servers.push(running);
        metricsUrl = `${running.url}/metrics`;
      }
      lifecycle.state = 'ready';
      logger.info(
        { url: `${main.url}${GRAPHQL_PATH}`, metricsUrl, upstream: config.epApiBaseUrl, modes: modesOf(config, trustedDocuments) },
        'gateway listening',
      );
      return { url: main.url, metricsUrl };
    },
    close: () => (closing ??= drain().finally(() => (servers = []))),
  };
}

/** Every observer sees every attempt; most gateways have one or two. */
function fanOut(observers: UpstreamObserver[]): UpstreamObserver {
  return {
    attempt(request, resendCount, headers) {
      const finishers = observers.map((observer) => observer.attempt(request, resendCount, headers));
      return (status, failure) => {
        for (const finish of finishers) finish(status, failure);
      };
    },
    event(request, name) {
      for (const observer of observers) observer.event(request, name);
    },
  };
}

/** The modes in force, for the start-up line: what an operator checks first when answers surprise. */
function modesOf(config: Config, trusted: ReadonlyMap<string, string> | undefined) {
  return {
    trustedDocuments: trusted ? `${config.trustedDocumentsMode}, ${trusted.size} ${trusted.size === 1 ? 'document' : 'documents'}` : 'off',
    cors: config.corsOrigins === '*' ? '*' : config.corsOrigins.length === 0 ? 'off' : config.corsOrigins.join(' '),
    introspection: config.introspection,
    graphiql: config.graphiql,
    httpFastPath: config.httpFastPath,
    quota: config.redisUrl ? `shared (Redis), ${config.epApiMaxRps}/s for the fleet` : `in process, ${config.epApiMaxRps}/s`,
    webhook: config.epWebhookSecret ? config.epWebhookPath : 'off',
    membershipEvents: config.redisUrl ? 'across replicas (Redis)' : 'in process',
  };
}
