/**
 * The gateway's settings: the only place that reads the environment. Every value is parsed and
 * checked here, so a bad value stops start-up with a message naming the variable instead of
 * surfacing later as a confusing runtime failure.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /**
   * Elastic Path API origin (optionally with a path prefix) that receives every upstream call and
   * the caller's token. Nothing else ever does.
   * @default 'https://useast.api.elasticpath.com'
   */
  readonly epApiBaseUrl: string;
  /** @default '0.0.0.0' */
  readonly host: string;
  /** @default 4000 */
  readonly port: number;
  /**
   * How long one upstream call may take, connecting through reading the whole body.
   * @default 10000
   */
  readonly epApiTimeoutMs: number;
  /** @default 'info' */
  readonly logLevel: LogLevel;
  /**
   * Serve GraphiQL on GET /graphql from the gateway's own bundled assets.
   * @default true, except when NODE_ENV is 'production'
   */
  readonly graphiql: boolean;
  /**
   * Upstream calls in flight at once per process; each has its own keep-alive connection.
   * @default 32
   */
  readonly epApiConnections: number;
  /**
   * Upstream calls started per second per process (Elastic Path allows 100/s per store in
   * production and 25/s in development, shared by every replica).
   * @default 80
   */
  readonly epApiMaxRps: number;
  /**
   * Calls that may wait for a slot; past this, callers get RATE_LIMITED at once.
   * @default 256
   */
  readonly epApiQueueLimit: number;
  /**
   * Attempts for a read (GET), the first included; writes are retried only when provably unsent.
   * @default 3
   */
  readonly epApiMaxAttempts: number;
  /**
   * Backoff before the first retry; doubles per retry (full jitter), capped at 2 s.
   * @default 100
   */
  readonly epApiRetryBaseMs: number;
  /**
   * Retries allowed, as a percentage of calls (plus a small reserve of 10).
   * @default 10
   */
  readonly epApiRetryBudgetPercent: number;
  /**
   * Consecutive connection failures or 5xx answers that open the circuit breaker.
   * @default 5
   */
  readonly epApiBreakerThreshold: number;
  /**
   * How long the open breaker fails fast before letting one probe through.
   * @default 5000
   */
  readonly epApiBreakerCooldownMs: number;
  /**
   * Largest upstream response body read; a larger one is UPSTREAM_ERROR.
   * @default 5242880 (5 MiB)
   */
  readonly epApiMaxResponseBytes: number;
  /**
   * Deadline for a whole GraphQL operation, across all its upstream calls and retries.
   * @default 30000
   */
  readonly operationTimeoutMs: number;
  /** @default 12 */
  readonly maxDepth: number;
  /** @default 30 */
  readonly maxAliases: number;
  /** @default 2000 */
  readonly maxTokens: number;
  /**
   * Root mutation fields in one operation (each is an upstream write).
   * @default 5
   */
  readonly maxMutationFields: number;
  /**
   * Largest request body accepted.
   * @default 102400
   */
  readonly maxBodyBytes: number;
  /**
   * Operations in one batched request; 0 turns batching off.
   * @default 10
   */
  readonly batchLimit: number;
  /** @default true, except when NODE_ENV is 'production' */
  readonly introspection: boolean;
  /**
   * A JSON manifest `{ "<sha256 or id>": "<document>" }`; when set, only these operations run.
   * @default undefined (any operation may run)
   */
  readonly trustedDocumentsFile: string | undefined;
  /**
   * How long SIGTERM waits for in-flight operations before closing connections.
   * @default 10000
   */
  readonly shutdownGraceMs: number;
  /**
   * After SIGTERM, how long to keep accepting requests while `/readiness` answers 503, so a load
   * balancer stops routing here before the listener closes.
   * @default 0
   */
  readonly shutdownDelayMs: number;
  /**
   * Single upstream lookups (members, accounts) one request may have in flight at once.
   * @default 8
   */
  readonly epLookupConcurrency: number;
  /**
   * Look account members up in batches with `filter=in(id,…)`, which only older Elastic Path
   * docs promise for members.
   * @default false
   */
  readonly epMemberBatchLookup: boolean;
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
  throw new ConfigError(name, `expected true or false, got '${value}'`);
}

function baseUrl(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `expected an absolute http(s) URL, got '${value}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `expected an http or https URL, got '${value}'`);
  }
  // Credentials, a query or a fragment here would be sent (or silently dropped) on every call.
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(name, 'must not contain credentials, a query string or a fragment');
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

export function loadConfig(env: Env): Config {
  return Object.freeze({
    epApiBaseUrl: baseUrl(env, 'EP_API_BASE_URL', 'https://useast.api.elasticpath.com'),
    host: raw(env, 'HOST') ?? '0.0.0.0',
    port: integer(env, 'PORT', 4000, 0, 65535),
    epApiTimeoutMs: integer(env, 'EP_API_TIMEOUT_MS', 10_000, 1, 600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    graphiql: boolean(env, 'GRAPHIQL', raw(env, 'NODE_ENV') !== 'production'),
    epApiConnections: integer(env, 'EP_API_CONNECTIONS', 32, 1, 1024),
    epApiMaxRps: integer(env, 'EP_API_MAX_RPS', 80, 1, 100_000),
    epApiQueueLimit: integer(env, 'EP_API_QUEUE_LIMIT', 256, 0, 100_000),
    epApiMaxAttempts: integer(env, 'EP_API_MAX_ATTEMPTS', 3, 1, 10),
    epApiRetryBaseMs: integer(env, 'EP_API_RETRY_BASE_MS', 100, 1, 60_000),
    epApiRetryBudgetPercent: integer(env, 'EP_API_RETRY_BUDGET_PERCENT', 10, 0, 100),
    epApiBreakerThreshold: integer(env, 'EP_API_BREAKER_THRESHOLD', 5, 1, 1000),
    epApiBreakerCooldownMs: integer(env, 'EP_API_BREAKER_COOLDOWN_MS', 5_000, 1, 600_000),
    epApiMaxResponseBytes: integer(env, 'EP_API_MAX_RESPONSE_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    operationTimeoutMs: integer(env, 'OPERATION_TIMEOUT_MS', 30_000, 1, 600_000),
    maxDepth: integer(env, 'MAX_DEPTH', 12, 1, 1000),
    maxAliases: integer(env, 'MAX_ALIASES', 30, 0, 10_000),
    maxTokens: integer(env, 'MAX_TOKENS', 2000, 10, 1_000_000),
    maxMutationFields: integer(env, 'MAX_MUTATION_FIELDS', 5, 1, 1000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100 * 1024, 1024, 100 * 1024 * 1024),
    batchLimit: integer(env, 'BATCH_LIMIT', 10, 0, 1000),
    introspection: boolean(env, 'INTROSPECTION', raw(env, 'NODE_ENV') !== 'production'),
    trustedDocumentsFile: raw(env, 'TRUSTED_DOCUMENTS_FILE'),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    epLookupConcurrency: integer(env, 'EP_LOOKUP_CONCURRENCY', 8, 1, 100),
    epMemberBatchLookup: boolean(env, 'EP_MEMBER_BATCH_LOOKUP', false),
  });
}

export interface EmulatorConfig {
  /** @default '127.0.0.1' */
  readonly host: string;
  /** @default 4010 */
  readonly port: number;
  /** Client id that `POST /oauth/access_token` accepts. @default 'demo-client' */
  readonly clientId: string;
  /** Client secret that `POST /oauth/access_token` accepts. @default 'demo-secret' */
  readonly clientSecret: string;
}

/** Settings of the local Elastic Path emulator (`npm run emulator`, and `npm run dev`). */
export function loadEmulatorConfig(env: Env): EmulatorConfig {
  return Object.freeze({
    host: raw(env, 'EMULATOR_HOST') ?? '127.0.0.1',
    port: integer(env, 'EMULATOR_PORT', 4010, 0, 65535),
    clientId: raw(env, 'EMULATOR_CLIENT_ID') ?? 'demo-client',
    clientSecret: raw(env, 'EMULATOR_CLIENT_SECRET') ?? 'demo-secret',
  });
}
