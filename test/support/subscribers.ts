/**
 * Subscribers as frontends make them: the `graphql-sse` client (GraphQL over Server-Sent Events,
 * as Yoga serves it) and the `graphql-ws` client over a real WebSocket. Each collects what the
 * stream delivers, for a test to await in order.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Result {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export type Transport = 'sse' | 'ws';

export interface Subscriber {
  /** The next result the stream delivered (waits for it); fails if the stream ends first. */
  next(): Promise<Result>;
  /** Resolves once the stream has ended, with how: completed by the server, or failed. */
  readonly ended: Promise<{ completed: boolean; error?: unknown }>;
  /** Results delivered and not yet taken. */
  pending(): number;
  /** Leaves (completes the subscription from the client's side). */
  close(): Promise<void>;
  /** The WebSocket client's close event, for the WS transport. */
  readonly closed?: Promise<{ code: number; reason: string }>;
}

export interface SubscribeOptions {
  gatewayUrl: string;
  query: string;
  variables?: Record<string, unknown>;
  /** `Authorization` for SSE; `connection_init`'s `authorization` for WebSocket. */
  authorization?: string;
  headers?: Record<string, string>;
}

export function subscribe(transport: Transport, options: SubscribeOptions): Subscriber {
  const results: Result[] = [];
  const waiters: Array<{ resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let finished: { completed: boolean; error?: unknown } | undefined;
  let endedResolve!: (value: { completed: boolean; error?: unknown }) => void;
  const ended = new Promise<{ completed: boolean; error?: unknown }>((resolve) => (endedResolve = resolve));
  const sink = {
    next(result: Result) {
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(result);
      else results.push(result);
    },
    error(error: unknown) {
      finish({ completed: false, error });
    },
    complete() {
      finish({ completed: true });
    },
  };
  const finish = (how: { completed: boolean; error?: unknown }) => {
    if (finished) return;
    finished = how;
    endedResolve(how);
    for (const waiter of waiters.splice(0))
      waiter.reject(new Error(`stream ended (${how.completed ? 'completed' : String(how.error)}) before another result`));
  };

  const payload = { query: options.query, variables: options.variables };
  let dispose: () => void;
  let wsClient: WsClient | undefined;
  let closed: Promise<{ code: number; reason: string }> | undefined;
  if (transport === 'sse') {
    const client = createSseClient({
      url: `${options.gatewayUrl}/graphql`,
      headers: { ...(options.authorization && { authorization: options.authorization }), ...options.headers },
      retryAttempts: 0,
    });
    const unsubscribe = client.subscribe(payload, sink as never);
    dispose = () => {
      unsubscribe();
      client.dispose();
    };
  } else {
    let closedResolve!: (value: { code: number; reason: string }) => void;
    closed = new Promise((resolve) => (closedResolve = resolve));
    wsClient = createWsClient({
      url: `${options.gatewayUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols: string[]) {
          super(address, protocols, { headers: options.headers });
        }
      },
      connectionParams: options.authorization ? { authorization: options.authorization } : {},
      retryAttempts: 0,
      lazy: true,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string | Buffer };
          closedResolve({ code, reason: String(reason) });
          finish({ completed: false, error: event });
        },
      },
    });
    const unsubscribe = wsClient.subscribe(payload, sink as never);
    dispose = () => {
      unsubscribe();
      void wsClient?.dispose();
    };
  }

  return {
    next() {
      const result = results.shift();
      if (result) return Promise.resolve(result);
      if (finished) return Promise.reject(new Error('stream already ended'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    ended,
    pending: () => results.length,
    async close() {
      dispose();
    },
    ...(closed && { closed }),
  };
}
