/** Configuration: defaults, and a bad value stops start-up with a message naming the variable. */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { killLeftoverProcesses, startProcess } from './support/child-process.js';

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
      batchLimit: 10,
      introspection: true,
      trustedDocumentsFile: undefined,
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
      epMemberBatchLookup: false,
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
  ])('refuses %s=%j with an error naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid ${name}: `));
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
