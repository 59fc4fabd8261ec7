/** Starts the real gateway on an ephemeral loopback port, pointed at a given upstream. */
import { Writable } from 'node:stream';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createApp, type GraphiqlOptions } from '../../src/app.js';
import type { LoaderOptions } from '../../src/loaders.js';
import { startServer } from '../../src/http-server.js';
import { createLogger } from '../../src/logger.js';
import { createUpstreamClient } from '../../src/upstream/client.js';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
}

export interface TestGateway {
  url: string;
  /** Every log line the gateway wrote, raw. */
  logs: string[];
  execute<T, V>(
    document: TypedDocumentNode<T, V>,
    variables: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  post(body: unknown, headers?: Record<string, string>): Promise<GraphQLResponse<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  upstreamUrl: string;
  timeoutMs?: number;
  graphiql?: GraphiqlOptions | false;
  loaderOptions?: Partial<LoaderOptions>;
}

export async function startGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const upstream = createUpstreamClient({ baseUrl: options.upstreamUrl, timeoutMs: options.timeoutMs ?? 5_000 });
  const app = createApp({
    upstream,
    logger: createLogger('debug', sink),
    graphiql: options.graphiql ?? false,
    loaderOptions: options.loaderOptions,
  });
  const running = await startServer(app, '127.0.0.1', 0);

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as GraphQLResponse<Record<string, unknown>>;
    return { ...json, status: response.status };
  }

  return {
    url: running.url,
    logs,
    post,
    execute: (document, variables, headers) =>
      post({ query: print(document), variables }, headers) as Promise<GraphQLResponse<never>>,
    async close() {
      await running.close();
      await upstream.close();
    },
  };
}
