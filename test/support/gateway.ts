/**
 * Starts the real gateway on an ephemeral loopback port, pointed at a given upstream, with the
 * documented defaults and any settings a test overrides. On close it checks that no token the
 * test sent ever reached the gateway's logs: every token that arrived at this gateway's port, by
 * `post()`, a plain `fetch`, a router or a raw socket alike.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphiqlOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import type { SpanExporter } from '../../src/observability/tracing.js';

export interface GraphQLResponse<T> {
  status: number;
  /** The response's `x-request-id`. */
  requestId?: string;
  data?: T | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

export interface TestGateway {
  url: string;
  gateway: Gateway;
  /** Every log line the gateway wrote, raw. */
  logs: string[];
  /** Resolves with the first log line (parsed) that `matches`, already written or still to come. */
  whenLogged(matches: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  execute<T, V>(document: TypedDocumentNode<T, V>, variables: V, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  post(body: unknown, headers?: Record<string, string>): Promise<GraphQLResponse<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  upstreamUrl: string;
  /** Environment-style settings, as an operator would give them (e.g. `{ EP_API_TIMEOUT_MS: '300' }`). */
  env?: Record<string, string>;
  graphiql?: GraphiqlOptions;
  /** Turns tracing on, with spans going here. */
  spanExporter?: SpanExporter;
}

export async function startGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const logs: string[] = [];
  const waiting = new Set<(line: Record<string, unknown>) => boolean>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      logs.push(text);
      for (const waiter of waiting) if (waiter(JSON.parse(text))) waiting.delete(waiter);
      done();
    },
  });
  const whenLogged = (matches: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const written = logs.map((text) => JSON.parse(text) as Record<string, unknown>).find(matches);
      if (written) return resolve(written);
      waiting.add((line) => {
        if (!matches(line)) return false;
        resolve(line);
        return true;
      });
    });
  const config: Config = loadConfig({
    EP_API_TIMEOUT_MS: '5000',
    // Tests fire bursts at the emulator; the production per-second cap would only slow them down.
    EP_API_MAX_RPS: '100000',
    GRAPHIQL: 'false',
    // `HTTP_FAST_PATH=false npx vitest run …` runs whole suites through the full Yoga handler; a
    // test's own setting still wins.
    ...(process.env.HTTP_FAST_PATH !== undefined && { HTTP_FAST_PATH: process.env.HTTP_FAST_PATH }),
    ...options.env,
    HOST: '127.0.0.1',
    PORT: '0',
    EP_API_BASE_URL: options.upstreamUrl,
  });
  const gateway = createGateway(config, createLogger('trace', sink), { graphiql: options.graphiql, spanExporter: options.spanExporter });
  const running = await gateway.listen();
  const port = Number(new URL(running.url).port);
  const tokensSent = new Set<string>();
  const remember = (value: string | string[] | undefined) => {
    for (const one of [value ?? []].flat()) {
      const secret = one.replace(/^Bearer\s+/i, '').trim();
      // Shorter values (a fuzzer's `abcdefgh`) can turn up in any log line by chance; real tokens are long.
      if (secret.length >= 20) tokensSent.add(secret);
    }
  };
  // Node announces every request a server receives here, whoever sent it.
  const onRequest = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    if ((server.address() as AddressInfo | null)?.port !== port) return;
    remember(request.headers.authorization);
    remember(request.headers['ep-account-management-authentication-token']);
  };
  subscribe('http.server.request.start', onRequest);

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as GraphQLResponse<Record<string, unknown>>;
    const requestId = response.headers.get('x-request-id') ?? undefined;
    // Every top-level error names its request; checked here for every test, then set aside so
    // that tests compare the rest exactly.
    const errors = json.errors?.map(({ extensions, ...error }) => {
      if (!extensions || extensions.requestId !== requestId || !requestId) {
        throw new Error(`error without the response's request id ${requestId}: ${JSON.stringify(error)}`);
      }
      const { requestId: _, ...rest } = extensions;
      return Object.keys(rest).length > 0 ? { ...error, extensions: rest } : error;
    });
    return { ...json, ...(errors && { errors }), status: response.status, requestId };
  }

  return {
    url: running.url,
    gateway,
    logs,
    whenLogged,
    post,
    execute: (document, variables, headers) => post({ query: print(document), variables }, headers) as Promise<GraphQLResponse<never>>,
    async close() {
      await gateway.close();
      unsubscribe('http.server.request.start', onRequest);
      const written = logs.join('\n');
      const leaked = [...tokensSent].filter((secret) => written.includes(secret));
      if (leaked.length > 0) throw new Error(`${leaked.length} caller token(s) appeared in the gateway's logs`);
    },
  };
}
