/** Configuration: defaults, and a bad value stops start-up with a message naming the variable. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadEmulatorConfig } from '../../src/config.js';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      epApiBaseUrl: 'https://useast.api.elasticpath.com',
      host: '0.0.0.0',
      port: 4000,
      epApiTimeoutMs: 10_000,
      logLevel: 'info',
      graphiql: true,
      epApiConnections: 32,
      epApiMaxRps: 80,
      epApiBulkShare: 50,
      epApiBulkEstimateCalls: 50,
      redisUrl: undefined,
      redisTimeoutMs: 50,
      epFleetSize: 1,
      epApiQueueLimit: 256,
      epApiMaxAttempts: 3,
      epApiRetryBaseMs: 100,
      epApiRetryBudgetPercent: 10,
      epApiBreakerFailurePercent: 50,
      epApiBreakerMinCalls: 20,
      epApiBreakerWindowMs: 10_000,
      epApiBreakerCooldownMs: 5_000,
      epApiMaxResponseBytes: 5 * 1024 * 1024,
      operationTimeoutMs: 30_000,
      maxDepth: 12,
      maxAliases: 30,
      maxTokens: 2000,
      maxMutationFields: 5,
      maxUpstreamCalls: 100,
      costExtensions: true,
      maxBodyBytes: 100 * 1024,
      httpRequestTimeoutMs: 30_000,
      httpHeadersTimeoutMs: 10_000,
      httpKeepAliveTimeoutMs: 65_000,
      httpFastPath: true,
      batchLimit: 10,
      introspection: true,
      trustedDocumentsFile: undefined,
      trustedDocumentsMode: 'enforce',
      shutdownGraceMs: 10_000,
      shutdownDelayMs: 0,
      readinessFollowsBreaker: false,
      metricsPort: undefined,
      metricsMaxOperationNames: 100,
      otlpTracesEndpoint: undefined,
      otelServiceName: 'ep-account-membership-gateway',
      epApiPropagateTrace: false,
      corsOrigins: '*',
      corsCredentials: false,
      epLookupConcurrency: 8,
      epBulkConcurrency: 4,
      epMemberBatchLookup: false,
      epWebhookSecret: undefined,
      epWebhookPath: '/webhooks/elastic-path',
      epClientCredentials: undefined,
      subscriptionsMax: 1000,
      subscriptionsPerConnection: 10,
      subscriptionBuffer: 32,
      subscriptionAuthRecheckMs: 300_000,
      subscriptionEventMaxCalls: 5,
      eventMemoryTtlMs: 7_200_000,
    });
  });

  it('reads the operations settings', () => {
    expect(
      loadConfig({
        METRICS_PORT: '9464',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com',
        CORS_CREDENTIALS: 'true',
        READINESS_FOLLOWS_BREAKER: 'yes',
      }),
    ).toMatchObject({
      metricsPort: 9464,
      otlpTracesEndpoint: 'http://collector:4318/v1/traces',
      corsOrigins: ['https://shop.example.com', 'https://admin.example.com'],
      corsCredentials: true,
      readinessFollowsBreaker: true,
    });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' })
        .otlpTracesEndpoint,
    ).toBe('http://b:4318/traces');
  });

  it('reads each variable and strips a trailing slash from the base URL', () => {
    const config = loadConfig({
      EP_API_BASE_URL: 'https://euwest.api.elasticpath.com/',
      HOST: '127.0.0.1',
      PORT: '8080',
      EP_API_TIMEOUT_MS: '2500',
      LOG_LEVEL: 'debug',
      GRAPHIQL: 'false',
    });
    expect(config).toMatchObject({
      epApiBaseUrl: 'https://euwest.api.elasticpath.com',
      host: '127.0.0.1',
      port: 8080,
      epApiTimeoutMs: 2500,
      logLevel: 'debug',
      graphiql: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("refuses CORS_CREDENTIALS=true with CORS_ORIGINS=*, which would let any site call with its visitors' credentials", () => {
    expect(() => loadConfig({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' })).toThrow(
      "Invalid CORS_CREDENTIALS: true is not allowed with CORS_ORIGINS=* (any site could call with its visitors' credentials); list the origins in CORS_ORIGINS",
    );
    // `*` is also the development default.
    expect(() => loadConfig({ CORS_CREDENTIALS: 'true' })).toThrow(/^Invalid CORS_CREDENTIALS: /);
    expect(loadConfig({ NODE_ENV: 'production', CORS_CREDENTIALS: 'true' })).toMatchObject({ corsOrigins: [], corsCredentials: true });
  });

  it("keeps the request's header time within its whole time", () => {
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' })).toMatchObject({ httpRequestTimeoutMs: 5000, httpHeadersTimeoutMs: 5000 });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      "Invalid HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS (5000), got '6000'",
    );
  });

  it('reads a Redis URL with user, password, TLS and database, and never repeats a refused one', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://gateway:s3cret@redis.internal:6380/2' }).redisUrl).toBe(
      'rediss://gateway:s3cret@redis.internal:6380/2',
    );
    expect(loadConfig({ REDIS_URL: 'redis://redis:6379', EP_FLEET_SIZE: '3', EP_API_BULK_SHARE: '25' })).toMatchObject({
      redisUrl: 'redis://redis:6379',
      epFleetSize: 3,
      epApiBulkShare: 25,
    });
    for (const bad of ['https://user:s3cret@redis:6379', 'redis://user:s3cret@redis:6379/cache', 'redis:s3cret']) {
      expect(() => loadConfig({ REDIS_URL: bad })).toThrow(/^Invalid REDIS_URL: /);
      expect(() => loadConfig({ REDIS_URL: bad })).not.toThrow(/s3cret/);
    }
  });

  it('turns GraphiQL, introspection and cross-origin calls off by default in production', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ graphiql: false, introspection: false, corsOrigins: [] });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['EP_API_TIMEOUT_MS', '0'],
    ['EP_API_TIMEOUT_MS', '10s'],
    ['LOG_LEVEL', 'loud'],
    ['GRAPHIQL', 'maybe'],
    ['EP_API_BASE_URL', 'not a url'],
    ['EP_API_BASE_URL', 'ftp://example.com'],
    ['EP_API_BASE_URL', 'https://user:pass@example.com'],
    ['EP_API_BASE_URL', 'https://example.com/?x=1'],
    ['METRICS_PORT', 'metrics'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['CORS_ORIGINS', 'shop.example.com'],
    ['CORS_ORIGINS', 'https://shop.example.com/path'],
    ['EP_API_BREAKER_FAILURE_PERCENT', '0'],
    ['EP_API_BREAKER_MIN_CALLS', 'many'],
    ['READINESS_FOLLOWS_BREAKER', 'sometimes'],
    ['EP_BULK_CONCURRENCY', '0'],
  ])('refuses %s=%j with an error naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid ${name}: `));
  });

  it('refuses a base URL ending in /v2, which would double it on every call, and says what to use', () => {
    expect(() => loadConfig({ EP_API_BASE_URL: 'https://useast.api.elasticpath.com/v2' })).toThrow(
      "Invalid EP_API_BASE_URL: must not end in /v2 (the gateway adds /v2/… to every call): use 'https://useast.api.elasticpath.com'",
    );
    expect(() => loadConfig({ EP_API_BASE_URL: 'https://proxy.example.com/ep/v2/' })).toThrow("use 'https://proxy.example.com/ep'");
    expect(loadConfig({ EP_API_BASE_URL: 'https://proxy.example.com/ep/v2x' }).epApiBaseUrl).toBe('https://proxy.example.com/ep/v2x');
  });

  it('lists every spelling a boolean setting accepts when it refuses one', () => {
    expect(() => loadConfig({ GRAPHIQL: 'maybe' })).toThrow(
      "Invalid GRAPHIQL: expected true or false (or 1/0, yes/no, on/off), got 'maybe'",
    );
    expect(loadConfig({ GRAPHIQL: 'off', INTROSPECTION: 'YES' })).toMatchObject({ graphiql: false, introspection: true });
  });
});

describe('every setting', () => {
  /** A value each validated setting must refuse; the settings read as free text are listed apart. */
  const badValues: Record<string, string> = {
    EP_API_BASE_URL: 'not a url',
    PORT: '65536',
    EP_API_TIMEOUT_MS: '0',
    LOG_LEVEL: 'loud',
    GRAPHIQL: 'maybe',
    EP_API_CONNECTIONS: '0',
    EP_API_MAX_RPS: '0',
    EP_API_QUEUE_LIMIT: '-1',
    EP_API_BULK_SHARE: '0',
    EP_API_BULK_ESTIMATE_CALLS: 'many',
    REDIS_URL: 'http://redis:6379',
    REDIS_TIMEOUT_MS: '0',
    EP_FLEET_SIZE: '0',
    EP_API_MAX_ATTEMPTS: '11',
    EP_API_RETRY_BASE_MS: '0',
    EP_API_RETRY_BUDGET_PERCENT: '101',
    EP_API_BREAKER_FAILURE_PERCENT: '0',
    EP_API_BREAKER_MIN_CALLS: '0',
    EP_API_BREAKER_WINDOW_MS: '99',
    EP_API_BREAKER_COOLDOWN_MS: '0',
    EP_API_MAX_RESPONSE_BYTES: '1023',
    OPERATION_TIMEOUT_MS: '0',
    MAX_DEPTH: '0',
    MAX_ALIASES: '1.5',
    MAX_TOKENS: '9',
    MAX_MUTATION_FIELDS: '0',
    MAX_UPSTREAM_CALLS: '0',
    COST_EXTENSIONS: 'sometimes',
    MAX_BODY_BYTES: '1023',
    HTTP_REQUEST_TIMEOUT_MS: '0',
    HTTP_HEADERS_TIMEOUT_MS: '30001',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '5s',
    HTTP_FAST_PATH: 'fast',
    BATCH_LIMIT: '1001',
    INTROSPECTION: 'perhaps',
    TRUSTED_DOCUMENTS_MODE: 'strict',
    SHUTDOWN_GRACE_MS: '600001',
    SHUTDOWN_DELAY_MS: '1e3',
    READINESS_FOLLOWS_BREAKER: 'sometimes',
    METRICS_PORT: '-1',
    METRICS_MAX_OPERATION_NAMES: '10001',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector',
    EP_API_PROPAGATE_TRACE: 'w3c',
    CORS_ORIGINS: 'shop.example.com',
    CORS_CREDENTIALS: 'always',
    EP_LOOKUP_CONCURRENCY: '101',
    EP_BULK_CONCURRENCY: '0',
    EP_MEMBER_BATCH_LOOKUP: 'both',
    EP_WEBHOOK_PATH: '/graphql',
    SUBSCRIPTIONS_MAX: '-1',
    SUBSCRIPTIONS_PER_CONNECTION: '0',
    SUBSCRIPTION_BUFFER: '0',
    SUBSCRIPTION_AUTH_RECHECK_MS: '99',
    SUBSCRIPTION_EVENT_MAX_CALLS: '0',
    SUBSCRIPTION_READS_PER_SECOND: '0',
    EVENT_MEMORY_TTL_MS: '999',
  };
  /** Read as given: any text is a value (TRUSTED_DOCUMENTS_FILE is read, and refused, at start-up). */
  const freeText = [
    'NODE_ENV',
    'HOST',
    'TRUSTED_DOCUMENTS_FILE',
    'OTEL_SERVICE_NAME',
    'EP_WEBHOOK_SECRET',
    'EP_CLIENT_ID',
    'EP_CLIENT_SECRET',
  ];

  it('is either refused with a bad value below or read as free text', () => {
    const read = new Set<string>();
    loadConfig(
      new Proxy(
        {},
        {
          get: (_target, name) => {
            if (typeof name === 'string') read.add(name);
            return undefined;
          },
        },
      ),
    );
    expect([...read].sort()).toEqual([...Object.keys(badValues), ...freeText].sort());
  });

  it.each(Object.entries(badValues))('%s=%j stops loadConfig with an error naming it', (name, value) => {
    // TRUSTED_DOCUMENTS_MODE is checked only beside a file, where it has an effect.
    const env = name === 'TRUSTED_DOCUMENTS_MODE' ? { [name]: value, TRUSTED_DOCUMENTS_FILE: '/tmp/documents.json' } : { [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid ${name}: `));
  });

  it.each([
    ['production, with INTROSPECTION and GRAPHIQL turned on', { NODE_ENV: 'production', INTROSPECTION: 'true', GRAPHIQL: 'true' }, true],
    [
      'development, with INTROSPECTION and GRAPHIQL turned off',
      { NODE_ENV: 'development', INTROSPECTION: 'false', GRAPHIQL: 'false' },
      false,
    ],
  ])('lets an explicit setting win over NODE_ENV: %s', (_name, env, on) => {
    expect(loadConfig(env)).toMatchObject({ introspection: on, graphiql: on });
  });

  it('takes EP_CLIENT_ID and EP_CLIENT_SECRET together, refuses one alone, and never repeats the secret', () => {
    expect(loadConfig({ EP_CLIENT_ID: 'gateway', EP_CLIENT_SECRET: 'a-secret-0123456789' }).epClientCredentials).toEqual({
      clientId: 'gateway',
      clientSecret: 'a-secret-0123456789',
    });
    expect(() => loadConfig({ EP_CLIENT_ID: 'gateway' })).toThrow(
      /^Invalid EP_CLIENT_SECRET: expected it beside EP_CLIENT_ID \(both or neither\)$/,
    );
    let refusal: unknown;
    try {
      loadConfig({ EP_CLIENT_SECRET: 'a-secret-0123456789' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(String(refusal)).toMatch(/Invalid EP_CLIENT_ID: expected it beside EP_CLIENT_SECRET/);
    expect(String(refusal)).not.toContain('a-secret-0123456789');
  });

  it('refuses SUBSCRIPTION_READS_PER_SECOND, even at its old default, and names what replaced it', () => {
    expect(() => loadConfig({ SUBSCRIPTION_READS_PER_SECOND: '20' })).toThrow(
      /^Invalid SUBSCRIPTION_READS_PER_SECOND: no longer read: event reads are bulk work in the upstream quota; set EP_API_BULK_SHARE/,
    );
  });
});

describe("the README's Configuration table", () => {
  const section =
    readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
      .split('\n## Configuration')[1]
      ?.split('\n## ')[0] ?? '';
  /** Each row's variables and its default column, as written. */
  const rows = [...section.matchAll(/^\| (`[A-Z_]+`(?: \/ `[A-Z_]+`)*) \| ([^|]+) \|/gm)].map((match) => ({
    names: [...(match[1] as string).matchAll(/`([A-Z_]+)`/g)].map((name) => name[1] as string),
    stated: (match[2] as string).trim(),
  }));
  const load = (env: Record<string, string>, name: string) => (name.startsWith('EMULATOR_') ? loadEmulatorConfig(env) : loadConfig(env));

  it('lists every variable the settings read', () => {
    const read = new Set<string>();
    const spy = new Proxy({}, { get: (_target, name) => (typeof name === 'string' ? void read.add(name) : undefined) });
    loadConfig(spy);
    loadEmulatorConfig(spy);
    read.delete('NODE_ENV');
    const retired = section.split('\nRetired settings')[1]?.split('\n\n')[0] ?? '';
    expect([...read].filter((name) => !rows.some((row) => row.names.includes(name)) && !retired.includes(`\`${name}\``))).toEqual([]);
  });

  // A default stated as one value is the one the code applies: setting it changes nothing.
  it.each(
    rows.flatMap((row) => {
      const values = [...row.stated.matchAll(/`([^`]*)`/g)].map((value) => value[1] as string);
      // `a` / `b` pairs their variables; `x` (`y` when `NODE_ENV=production`) names both modes'.
      if (row.names.length > 1 && values.length === row.names.length)
        return row.names.map((name, index) => [name, values[index] as string, {}] as const);
      const production = row.stated.match(/^`([^`]*)` \(`([^`]*)` when `NODE_ENV=production`\)$/);
      if (production) {
        const name = row.names[0] as string;
        return [[name, production[1] as string, {}] as const, [name, production[2] as string, { NODE_ENV: 'production' }] as const];
      }
      return /^`[^`]*`$/.test(row.stated) ? [[row.names[0] as string, values[0] as string, {}] as const] : [];
    }),
  )('%s: the stated default %j is the one applied', (name, stated, mode: Record<string, string>) => {
    // TRUSTED_DOCUMENTS_MODE is refused without the file it applies to.
    const base = name === 'TRUSTED_DOCUMENTS_MODE' ? { ...mode, TRUSTED_DOCUMENTS_FILE: '/tmp/documents.json' } : mode;
    expect(load({ ...base, [name]: stated }, name)).toEqual(load(base, name));
  });
});

describe('npm start with a bad setting', () => {
  afterEach(killLeftoverProcesses);

  it('exits 1 and names the variable', async () => {
    const server = startProcess('src/server.ts', { env: { PORT: 'eighty' } });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain("Invalid PORT: expected a whole number from 0 to 65535, got 'eighty'");
  });
});
