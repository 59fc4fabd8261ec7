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
   * Upstream connections kept per process (undici pool size).
   * @default 64
   */
  readonly epApiConnections: number;
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
    epApiConnections: integer(env, 'EP_API_CONNECTIONS', 64, 1, 4096),
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
