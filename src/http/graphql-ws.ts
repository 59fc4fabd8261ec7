/**
 * GraphQL over WebSocket (the `graphql-transport-ws` protocol of `graphql-ws`) on `/graphql`.
 *
 * Each operation a socket subscribes to is run as an HTTP request through the same Yoga app, as
 * `POST /graphql` with `accept: text/event-stream`: trusted documents, limits, request ids, the
 * access log, the cost check and error masking are the HTTP path's own, not a copy. The caller's
 * token comes from `connection_init`'s payload (`authorization`, and
 * `ep-account-management-authentication-token` when sent), as headers of those requests; it is
 * kept only in the socket's memory. The upgrade is refused for an `Origin` not allowed by
 * CORS_ORIGINS (a browser always sends one; other clients send none), and while draining.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, parse, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App, Lifecycle } from '../app.js';
import type { Config } from '../config.js';
import { subscriptionLimit } from '../domain/errors.js';
import { schema } from '../schema/index.js';
import { EVENT_STREAM, JSON_MEDIA_TYPE } from './media-types.js';
import { GRAPHQL_PATH } from './paths.js';

export type WebSocketSettings = Pick<Config, 'corsOrigins' | 'maxBodyBytes' | 'subscriptionsPerConnection'>;

export interface WebSocketEndpoint {
  /** Closes every socket with 1001 (Going Away), after their streams have ended. */
  close(): Promise<void>;
}

/** graphql-ws chooses `subscribe` for this document; what runs is the caller's, through Yoga. */
const BRIDGE = parse('subscription { __typename }');
/** Headers of the upgrade request passed on to each operation's request. */
const PASSED_ON = [
  'x-request-id',
  'graphql-client-name',
  'graphql-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
];
/** `connection_init` payload keys read as credentials (case-insensitive), and the header each becomes. */
const CREDENTIAL_KEYS = ['authorization', 'ep-account-management-authentication-token'];

interface Operation {
  upgrade: IncomingMessage;
  connectionParams: Record<string, unknown> | undefined;
  payload: { query?: string; variables?: unknown; operationName?: string | null; extensions?: unknown };
}

export function attachWebSockets(server: Server, app: App, settings: WebSocketSettings, lifecycle: Lifecycle): WebSocketEndpoint {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: settings.maxBodyBytes });
  const allowed = settings.corsOrigins === '*' ? undefined : new Set(settings.corsOrigins);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = req.url?.split('?')[0];
    const origin = req.headers.origin;
    const refusal =
      path !== GRAPHQL_PATH
        ? [404, 'Not Found']
        : lifecycle.state !== 'ready'
          ? [503, 'Service Unavailable']
          : origin !== undefined && allowed !== undefined && !allowed.has(origin)
            ? [403, 'Forbidden']
            : undefined;
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal[0]} ${refusal[1]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  const endpoint = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      schema,
      onSubscribe(ctx, _id, payload) {
        if (Object.keys(ctx.subscriptions).length > settings.subscriptionsPerConnection) {
          return [subscriptionLimit(settings.subscriptionsPerConnection, 'connection')];
        }
        const operation: Operation = { upgrade: ctx.extra.request, connectionParams: ctx.connectionParams, payload };
        return { schema, document: BRIDGE, contextValue: operation };
      },
      subscribe: (args) => throughHttp(app, args.contextValue as Operation),
      // Results come back from the HTTP path already serialized: sent as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result,
    },
    sockets,
  );

  return {
    async close() {
      server.off('upgrade', onUpgrade);
      await endpoint.dispose();
    },
  };
}

/**
 * One operation as a `POST /graphql` to the app, its SSE answer read back as results. A generator
 * waiting on the stream would hear `return()` (the client completed, or the socket closed) only
 * when the next result came; cancelling the stream first ends it, and with it the operation.
 */
function throughHttp(app: App, operation: Operation): AsyncGenerator<ExecutionResult> {
  const stop = new AbortController();
  const results = readResults(app, operation, stop.signal);
  return Object.assign(Object.create(results) as AsyncGenerator<ExecutionResult>, {
    next: () => results.next(),
    return(value?: unknown) {
      stop.abort();
      return results.return(value as ExecutionResult);
    },
    throw(error?: unknown) {
      stop.abort();
      return results.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  });
}

async function* readResults(
  app: App,
  { upgrade, connectionParams, payload }: Operation,
  stop: AbortSignal,
): AsyncGenerator<ExecutionResult> {
  const headers: Record<string, string> = { 'content-type': JSON_MEDIA_TYPE, accept: EVENT_STREAM };
  for (const name of PASSED_ON) {
    const value = upgrade.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  for (const [key, value] of Object.entries(connectionParams ?? {})) {
    if (CREDENTIAL_KEYS.includes(key.toLowerCase()) && typeof value === 'string') headers[key.toLowerCase()] = value;
  }
  const controller = new AbortController();
  const response = await app.fetch('http://gateway/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify(payload),
    signal: controller.signal,
  });
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes(EVENT_STREAM) || !response.body) {
    yield (await response
      .json()
      .catch(() => ({ errors: [new GraphQLError(`The gateway answered ${response.status}.`)] }))) as ExecutionResult;
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  if (stop.aborted) cancel();
  stop.addEventListener('abort', cancel, { once: true });
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const message = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of message.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (event === 'complete') return;
        if (event === 'next' && data.length > 0) yield JSON.parse(data.join('\n')) as ExecutionResult;
      }
    }
  } finally {
    stop.removeEventListener('abort', cancel);
    controller.abort();
    await reader.cancel().catch(() => {});
  }
}
