/**
 * The gateway's settings: the only place that reads the environment. Every value is parsed and
 * checked here, so a bad value stops start-up with a message naming the variable instead of
 * surfacing later as a confusing runtime failure.
 */

import { OWN_PATHS } from './http/paths.js';

const TRUSTED_DOCUMENTS_MODES = ['enforce', 'log'] as const;
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENTS_MODES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The gateway's settings, one field per environment variable (named beside it in `loadConfig`).
 * Defaults are applied in `loadConfig` alone; the README's Configuration table lists them, and a
 * test holds the two together.
 */
export interface Config {
  // Serving callers
  readonly host: string;
  readonly port: number;
  /**
   * Largest request body accepted.
   */
  readonly maxBodyBytes: number;
  /**
   * Time a caller has to send a whole request, headers and body (node's `requestTimeout`, whose
   * own default is 300 s): a body trickled in slowly holds a connection and its buffer no longer
   * than this. The time the operation then runs is OPERATION_TIMEOUT_MS's.
   */
  readonly httpRequestTimeoutMs: number;
  /**
   * Time a caller has to send a request's headers (node's `headersTimeout`); at most
   * HTTP_REQUEST_TIMEOUT_MS.
   */
  readonly httpHeadersTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open (node's `keepAliveTimeout`, whose own default
   * is 5 s). Above the 60 s idle timeout of common load balancers, so that they, not the gateway,
   * close idle connections, and never send a request on one the gateway is closing.
   */
  readonly httpKeepAliveTimeoutMs: number;
  /**
   * Serve `POST /graphql` with a JSON body straight from node:http into Yoga's pipeline, without
   * the fetch adapter's Request (see README, Performance). Every other request, and this one when
   * it is off, goes through the full Yoga handler.
   */
  readonly httpFastPath: boolean;
  /**
   * Operations in one batched request; 0 turns batching off.
   */
  readonly batchLimit: number;
  /**
   * Origins allowed to call from a browser: a list, or `'*'` for any.
   */
  readonly corsOrigins: readonly string[] | '*';
  /**
   * Answer `access-control-allow-credentials: true` (the gateway itself reads no cookies). Refused
   * with `CORS_ORIGINS=*`: any site could then call with the browser's credentials.
   */
  readonly corsCredentials: boolean;
  /**
   * Serve GraphiQL on GET /graphql from the gateway's own bundled assets.
   */
  readonly graphiql: boolean;
  readonly introspection: boolean;
  // Limits on what one request may cost
  /**
   * Deadline for a whole GraphQL operation, across all its upstream calls and retries.
   */
  readonly operationTimeoutMs: number;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  /**
   * Root mutation fields in one operation (each is an upstream write).
   */
  readonly maxMutationFields: number;
  /**
   * Elastic Path calls one HTTP request may make (a batch's operations share it). An operation
   * whose estimate exceeds it is refused before any call; past it at run time, further calls fail.
   */
  readonly maxUpstreamCalls: number;
  /**
   * Put `extensions.cost` (`{ estimated, actual }` upstream calls) on every result.
   */
  readonly costExtensions: boolean;
  /**
   * The trusted documents list: GraphQL Code Generator's `persisted-documents.json`
   * (`{ "<hash>": "<document>" }`) or Apollo's persisted query manifest. See plugins/use-trusted-documents.ts.
   */
  readonly trustedDocumentsFile: string | undefined;
  /**
   * With TRUSTED_DOCUMENTS_FILE: `enforce` runs only listed documents; `log` runs everything and
   * logs each operation that is not on the list once (its hash and name), to roll a list out.
   */
  readonly trustedDocumentsMode: TrustedDocumentsMode;
  // Elastic Path, the upstream
  /**
   * Elastic Path API origin (optionally with a path prefix) that receives every upstream call and
   * the caller's token. Nothing else ever does.
   */
  readonly epApiBaseUrl: string;
  /**
   * Budget for each phase of one upstream attempt: connecting (at most 5 s), the response head,
   * and each gap while the body arrives. OPERATION_TIMEOUT_MS bounds the whole operation.
   */
  readonly epApiTimeoutMs: number;
  /**
   * Upstream calls in flight at once per process; each has its own keep-alive connection.
   */
  readonly epApiConnections: number;
  /**
   * Calls that may wait for a slot; past this, callers get RATE_LIMITED at once.
   */
  readonly epApiQueueLimit: number;
  /**
   * Attempts for a read (GET), the first included; writes are retried only when provably unsent.
   */
  readonly epApiMaxAttempts: number;
  /**
   * Backoff before the first retry; doubles per retry (full jitter), capped at 2 s.
   */
  readonly epApiRetryBaseMs: number;
  /**
   * Retries allowed, as a percentage of calls (plus a small reserve of 10).
   */
  readonly epApiRetryBudgetPercent: number;
  /**
   * Share of calls in the breaker's window, in percent, that must fail with a sign that Elastic
   * Path itself is unwell (connection failure, timeout, 502/503/504) for the breaker to open.
   */
  readonly epApiBreakerFailurePercent: number;
  /**
   * Calls the breaker's window must hold before it may open: a few failures alone never do.
   */
  readonly epApiBreakerMinCalls: number;
  /**
   * Length of the breaker's sliding window.
   */
  readonly epApiBreakerWindowMs: number;
  /**
   * How long the open breaker fails fast before letting one probe through.
   */
  readonly epApiBreakerCooldownMs: number;
  /**
   * Largest upstream response body read; a larger one is UPSTREAM_ERROR.
   */
  readonly epApiMaxResponseBytes: number;
  /**
   * Send the W3C `traceparent` on to Elastic Path, so its spans (if any) join the trace.
   */
  readonly epApiPropagateTrace: boolean;
  /**
   * Single upstream lookups (members, accounts) one request may have in flight at once.
   */
  readonly epLookupConcurrency: number;
  /**
   * Elastic Path calls one `ensureAccountMemberships` keeps in flight at once (its creates, and the
   * reads that find existing memberships), so a bulk add stays well inside the store's rate limit.
   */
  readonly epBulkConcurrency: number;
  /**
   * Look account members up in batches with `filter=in(id,…)`, which only older Elastic Path
   * docs promise for members.
   */
  readonly epMemberBatchLookup: boolean;
  /**
   * The gateway's own client_credentials client (EP_CLIENT_ID and EP_CLIENT_SECRET, both or
   * neither). Used only to find the account of a membership an event names without one (a
   * webhook delivery with no `links.self`), through its member's memberships; never for a
   * caller's request.
   */
  readonly epClientCredentials: { readonly clientId: string; readonly clientSecret: string } | undefined;
  // The store's rate limit, shared by the fleet
  /**
   * Upstream calls started in any sliding second: per process, or with REDIS_URL by the whole
   * fleet (Elastic Path allows 100/s per store in production and 25/s in development, counted
   * across everything that calls the store, storefront included).
   */
  readonly epApiMaxRps: number;
  /**
   * Share of EP_API_MAX_RPS, in percent, that bulk work (`ensureAccountMemberships`, and any
   * operation estimated above EP_API_BULK_ESTIMATE_CALLS) may use; fleet-wide with REDIS_URL.
   */
  readonly epApiBulkShare: number;
  /**
   * An operation whose cost estimate is above this many Elastic Path calls counts as bulk work.
   */
  readonly epApiBulkEstimateCalls: number;
  /**
   * The Redis that holds the fleet's shared quota (`redis://` or `rediss://`, user and password in
   * the URL). Without it, each process meters itself against EP_API_MAX_RPS.
   */
  readonly redisUrl: string | undefined;
  /**
   * How long one Redis command may take before the call falls back to the local share.
   */
  readonly redisTimeoutMs: number;
  /**
   * The fewest replicas the local share assumes while Redis is unreachable (or without
   * REDIS_URL): each replica then starts EP_API_MAX_RPS ÷ max(EP_FLEET_SIZE, replicas last seen
   * alive) calls per second.
   */
  readonly epFleetSize: number;
  // Membership events
  /**
   * The secret Elastic Path sends as `X-MOLTIN-SECRET-KEY` with each webhook delivery (the
   * integration's `configuration.secret_key`). The webhook receiver is on only when it is set.
   */
  readonly epWebhookSecret: string | undefined;
  /**
   * The path of the webhook receiver, under the gateway's own port.
   */
  readonly epWebhookPath: string;
  /**
   * Subscriptions one process serves at once; one more is refused with SUBSCRIPTION_LIMIT.
   */
  readonly subscriptionsMax: number;
  /**
   * Subscriptions one WebSocket connection may hold at once.
   */
  readonly subscriptionsPerConnection: number;
  /**
   * Events one subscriber may have waiting; a subscriber that falls further behind is ended with
   * SLOW_SUBSCRIBER.
   */
  readonly subscriptionBuffer: number;
  /**
   * How often a subscription's token is checked again with Elastic Path (tokens last an hour).
   */
  readonly subscriptionAuthRecheckMs: number;
  /**
   * Elastic Path calls one event may make for one subscriber (its own budget; an operation whose
   * estimate per event exceeds it is refused before the stream starts).
   */
  readonly subscriptionEventMaxCalls: number;
  /**
   * How long deduplication keys, tombstones and membership routes are kept: longer than Elastic
   * Path's 30-minute delivery target.
   */
  readonly eventMemoryTtlMs: number;
  // Operating the process
  readonly logLevel: LogLevel;
  /**
   * How long SIGTERM waits for in-flight operations before closing connections.
   */
  readonly shutdownGraceMs: number;
  /**
   * After SIGTERM, how long to keep accepting requests while `/readiness` answers 503, so a load
   * balancer stops routing here before the listener closes.
   */
  readonly shutdownDelayMs: number;
  /**
   * `/readiness` also answers 503 while the upstream breaker is open. Off by default: Elastic
   * Path's bad minute would take every replica out of rotation at once, and callers would get the
   * load balancer's bare 503 instead of a coded UPSTREAM_UNAVAILABLE.
   */
  readonly readinessFollowsBreaker: boolean;
  /**
   * Serve Prometheus metrics on this port instead of the gateway's own (`/metrics` on the main
   * port then answers 404).
   */
  readonly metricsPort: number | undefined;
  /**
   * Distinct operation names the metrics keep as labels; later names are counted as `other`.
   */
  readonly metricsMaxOperationNames: number;
  /**
   * Where spans go over OTLP/HTTP: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`.
   */
  readonly otlpTracesEndpoint: string | undefined;
  readonly otelServiceName: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A setting that no longer exists: refused at start, so that an operator learns what replaced it instead of it being ignored. */
function retired(env: Env, name: string, instead: string): Record<never, never> {
  if (raw(env, name) !== undefined) throw new ConfigError(name, `no longer read: ${instead}`);
  return {};
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `expected true or false (or 1/0, yes/no, on/off), got '${value}'`);
}

function baseUrl(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  const url = new URL(httpUrl(name, value));
  // Credentials, a query or a fragment here would be sent (or silently dropped) on every call.
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(name, 'must not contain credentials, a query string or a fragment');
  }
  // Every call's path starts with /v2 already; a base ending in it would send /v2/v2/….
  if (/\/v2\/*$/i.test(url.pathname)) {
    throw new ConfigError(
      name,
      `must not end in /v2 (the gateway adds /v2/… to every call): use '${url.origin}${url.pathname.replace(/\/v2\/*$/i, '')}'`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name)?.toLowerCase() ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  return raw(env, name) === undefined ? undefined : integer(env, name, 0, min, max);
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `expected an absolute http(s) URL, got '${value}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `expected an http or https URL, got '${value}'`);
  }
  return url.href;
}

/** OpenTelemetry's own variables: the signal-specific endpoint is used as given, the general one gains `/v1/traces`. */
function otlpTracesEndpoint(env: Env): string | undefined {
  const traces = raw(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces);
  const general = raw(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (general === undefined) return undefined;
  return `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general).replace(/\/+$/, '')}/v1/traces`;
}

/** A Redis URL; its password is never repeated in an error. */
function redisUrl(env: Env): string | undefined {
  const value = raw(env, 'REDIS_URL');
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new ConfigError('REDIS_URL', 'expected redis://[user:password@]host[:port][/db] or rediss://… for TLS');
  }
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) {
    throw new ConfigError('REDIS_URL', `expected a database number as the path, such as /0, got '${url.pathname}'`);
  }
  return value;
}

/** EP_CLIENT_ID and EP_CLIENT_SECRET, both or neither; the secret is never repeated in an error. */
function clientCredentials(env: Env): Config['epClientCredentials'] {
  const clientId = raw(env, 'EP_CLIENT_ID');
  const clientSecret = raw(env, 'EP_CLIENT_SECRET');
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (clientId === undefined) throw new ConfigError('EP_CLIENT_ID', 'expected it beside EP_CLIENT_SECRET (both or neither)');
  if (clientSecret === undefined) throw new ConfigError('EP_CLIENT_SECRET', 'expected it beside EP_CLIENT_ID (both or neither)');
  return Object.freeze({ clientId, clientSecret });
}

/** `*`, or a comma-separated list of origins such as `https://shop.example.com`. */
function corsOrigins(env: Env, fallback: readonly string[] | '*'): readonly string[] | '*' {
  const value = raw(env, 'CORS_ORIGINS');
  if (value === undefined) return fallback;
  if (value === '*') return '*';
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError('CORS_ORIGINS', `expected '*' or comma-separated origins like https://shop.example.com, got '${origin}'`);
    }
  }
  return Object.freeze(origins);
}

/** Any origin, with credentials, would let every site a user visits call as that user. */
function corsCredentials(env: Env, origins: readonly string[] | '*'): boolean {
  const credentials = boolean(env, 'CORS_CREDENTIALS', false);
  if (credentials && origins === '*') {
    throw new ConfigError(
      'CORS_CREDENTIALS',
      "true is not allowed with CORS_ORIGINS=* (any site could call with its visitors' credentials); list the origins in CORS_ORIGINS",
    );
  }
  return credentials;
}

/** Node refuses a request whose headers are still arriving after the whole request's time. */
function headersTimeout(env: Env, requestTimeoutMs: number): number {
  const value = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 1, 600_000);
  if (value > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must be at most HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs}), got '${value}'`);
  }
  return value;
}

/** A mode without a list would look like protection and be none. */
function trustedDocumentsMode(env: Env): TrustedDocumentsMode {
  if (raw(env, 'TRUSTED_DOCUMENTS_MODE') !== undefined && raw(env, 'TRUSTED_DOCUMENTS_FILE') === undefined) {
    throw new ConfigError('TRUSTED_DOCUMENTS_MODE', 'has no effect without TRUSTED_DOCUMENTS_FILE; set both, or neither');
  }
  return oneOf(env, 'TRUSTED_DOCUMENTS_MODE', TRUSTED_DOCUMENTS_MODES, 'enforce');
}

export function loadConfig(env: Env): Config {
  const production = raw(env, 'NODE_ENV') === 'production';
  const origins = corsOrigins(env, production ? [] : '*');
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1, 600_000);
  return Object.freeze({
    // Serving callers
    host: raw(env, 'HOST') ?? '0.0.0.0',
    port: integer(env, 'PORT', 4000, 0, 65535),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100 * 1024, 1024, 100 * 1024 * 1024),
    httpRequestTimeoutMs: requestTimeoutMs,
    httpHeadersTimeoutMs: headersTimeout(env, requestTimeoutMs),
    httpKeepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1, 600_000),
    httpFastPath: boolean(env, 'HTTP_FAST_PATH', true),
    batchLimit: integer(env, 'BATCH_LIMIT', 10, 0, 1000),
    corsOrigins: origins,
    corsCredentials: corsCredentials(env, origins),
    graphiql: boolean(env, 'GRAPHIQL', !production),
    introspection: boolean(env, 'INTROSPECTION', !production),
    // Limits on what one request may cost
    operationTimeoutMs: integer(env, 'OPERATION_TIMEOUT_MS', 30_000, 1, 600_000),
    maxDepth: integer(env, 'MAX_DEPTH', 12, 1, 1000),
    maxAliases: integer(env, 'MAX_ALIASES', 30, 0, 10_000),
    maxTokens: integer(env, 'MAX_TOKENS', 2000, 10, 1_000_000),
    maxMutationFields: integer(env, 'MAX_MUTATION_FIELDS', 5, 1, 1000),
    maxUpstreamCalls: integer(env, 'MAX_UPSTREAM_CALLS', 100, 1, 100_000),
    costExtensions: boolean(env, 'COST_EXTENSIONS', true),
    trustedDocumentsFile: raw(env, 'TRUSTED_DOCUMENTS_FILE'),
    trustedDocumentsMode: trustedDocumentsMode(env),
    // Elastic Path, the upstream
    epApiBaseUrl: baseUrl(env, 'EP_API_BASE_URL', 'https://useast.api.elasticpath.com'),
    epApiTimeoutMs: integer(env, 'EP_API_TIMEOUT_MS', 10_000, 1, 600_000),
    epApiConnections: integer(env, 'EP_API_CONNECTIONS', 32, 1, 1024),
    epApiQueueLimit: integer(env, 'EP_API_QUEUE_LIMIT', 256, 0, 100_000),
    epApiMaxAttempts: integer(env, 'EP_API_MAX_ATTEMPTS', 3, 1, 10),
    epApiRetryBaseMs: integer(env, 'EP_API_RETRY_BASE_MS', 100, 1, 60_000),
    epApiRetryBudgetPercent: integer(env, 'EP_API_RETRY_BUDGET_PERCENT', 10, 0, 100),
    epApiBreakerFailurePercent: integer(env, 'EP_API_BREAKER_FAILURE_PERCENT', 50, 1, 100),
    epApiBreakerMinCalls: integer(env, 'EP_API_BREAKER_MIN_CALLS', 20, 1, 100_000),
    epApiBreakerWindowMs: integer(env, 'EP_API_BREAKER_WINDOW_MS', 10_000, 100, 600_000),
    epApiBreakerCooldownMs: integer(env, 'EP_API_BREAKER_COOLDOWN_MS', 5_000, 1, 600_000),
    epApiMaxResponseBytes: integer(env, 'EP_API_MAX_RESPONSE_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    epApiPropagateTrace: boolean(env, 'EP_API_PROPAGATE_TRACE', false),
    epLookupConcurrency: integer(env, 'EP_LOOKUP_CONCURRENCY', 8, 1, 100),
    epBulkConcurrency: integer(env, 'EP_BULK_CONCURRENCY', 4, 1, 100),
    epMemberBatchLookup: boolean(env, 'EP_MEMBER_BATCH_LOOKUP', false),
    epClientCredentials: clientCredentials(env),
    // The store's rate limit, shared by the fleet
    epApiMaxRps: integer(env, 'EP_API_MAX_RPS', 80, 1, 100_000),
    epApiBulkShare: integer(env, 'EP_API_BULK_SHARE', 50, 1, 100),
    epApiBulkEstimateCalls: integer(env, 'EP_API_BULK_ESTIMATE_CALLS', 50, 0, 100_000),
    redisUrl: redisUrl(env),
    redisTimeoutMs: integer(env, 'REDIS_TIMEOUT_MS', 50, 1, 10_000),
    epFleetSize: integer(env, 'EP_FLEET_SIZE', 1, 1, 1000),
    // Membership events
    epWebhookSecret: raw(env, 'EP_WEBHOOK_SECRET'),
    epWebhookPath: webhookPath(env),
    subscriptionsMax: integer(env, 'SUBSCRIPTIONS_MAX', 1000, 0, 1_000_000),
    subscriptionsPerConnection: integer(env, 'SUBSCRIPTIONS_PER_CONNECTION', 10, 1, 1000),
    subscriptionBuffer: integer(env, 'SUBSCRIPTION_BUFFER', 32, 1, 100_000),
    subscriptionAuthRecheckMs: integer(env, 'SUBSCRIPTION_AUTH_RECHECK_MS', 300_000, 100, 3_600_000),
    subscriptionEventMaxCalls: integer(env, 'SUBSCRIPTION_EVENT_MAX_CALLS', 5, 1, 1000),
    eventMemoryTtlMs: integer(env, 'EVENT_MEMORY_TTL_MS', 7_200_000, 1000, 86_400_000),
    // Operating the process
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    readinessFollowsBreaker: boolean(env, 'READINESS_FOLLOWS_BREAKER', false),
    metricsPort: optionalInteger(env, 'METRICS_PORT', 0, 65535),
    metricsMaxOperationNames: integer(env, 'METRICS_MAX_OPERATION_NAMES', 100, 0, 10_000),
    otlpTracesEndpoint: otlpTracesEndpoint(env),
    otelServiceName: raw(env, 'OTEL_SERVICE_NAME') ?? 'ep-account-membership-gateway',
    ...retired(
      env,
      'SUBSCRIPTION_READS_PER_SECOND',
      'event reads are bulk work in the upstream quota; set EP_API_BULK_SHARE (and EP_API_MAX_RPS) instead',
    ),
  });
}

/** A path of its own: it must not shadow `/graphql` or the probes. */
function webhookPath(env: Env): string {
  const value = raw(env, 'EP_WEBHOOK_PATH') ?? '/webhooks/elastic-path';
  if (!/^\/[A-Za-z0-9._~/-]+$/.test(value) || OWN_PATHS.includes(value)) {
    throw new ConfigError(
      'EP_WEBHOOK_PATH',
      `expected a path such as /webhooks/elastic-path, other than the gateway's own endpoints, got '${value}'`,
    );
  }
  return value;
}

export interface EmulatorConfig {
  readonly host: string;
  readonly port: number;
  /** Client id that `POST /oauth/access_token` accepts. */
  readonly clientId: string;
  /** Client secret that `POST /oauth/access_token` accepts. */
  readonly clientSecret: string;
  /**
   * How long the emulator's access tokens last (`npm run dev`'s own session token never expires).
   */
  readonly tokenLifetimeS: number;
}

/** Settings of the local Elastic Path emulator (`npm run emulator`, and `npm run dev`). */
export function loadEmulatorConfig(env: Env): EmulatorConfig {
  return Object.freeze({
    host: raw(env, 'EMULATOR_HOST') ?? '127.0.0.1',
    port: integer(env, 'EMULATOR_PORT', 4010, 0, 65535),
    clientId: raw(env, 'EMULATOR_CLIENT_ID') ?? 'demo-client',
    clientSecret: raw(env, 'EMULATOR_CLIENT_SECRET') ?? 'demo-secret',
    tokenLifetimeS: integer(env, 'EMULATOR_TOKEN_LIFETIME_S', 3600, 1, 31_536_000),
  });
}

/**
 * For process entry points: the settings, or the problem printed on stderr (after `refusal`, when
 * given, such as "Elastic Path emulator not started.") and exit status 1, so a bad value never
 * starts a half-configured process.
 */
export function settingsOrExit<T>(load: () => T, refusal?: string): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${refusal === undefined ? '' : `${refusal} `}${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
