/**
 * A scripted Elastic Path on loopback for tests that need answers the emulator never gives
 * (odd statuses, broken bodies, resets, silence). Every scripted reply must be used: `verify()`
 * fails the test otherwise. Every request received is recorded for assertions.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Which request a reply is for: method and path, and the query parameters given (others may be
 * present). Concurrent calls arrive in either order; a routed reply goes to its own call whatever
 * the order. Routed replies for the same route are used in the order they were queued.
 */
export interface Route {
  method: string;
  path: string;
  query?: Record<string, string>;
}

/** What to answer: a status with a body, or no answer at all. */
export type Answer =
  | {
      status: number;
      json?: unknown;
      body?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { hang: true }
  | { reset: true }
  /** Closes the connection without an answer (a FIN, not a reset): a keep-alive socket going stale under a request. */
  | { close: true };

export type Reply = Answer & {
  /** Only for a request on this route (see `Route`); without one, for the next request no routed reply is waiting for. */
  on?: Route;
  /** Answers (or resets, or closes) only once this settles: the test decides when, instead of a delay. */
  until?: Promise<unknown>;
};

/** `reply` for the request `method pathAndQuery` (`GET /v2/accounts/…?filter=…`): the query's parameters must all be present. */
export function on(route: string, reply: Answer & Pick<Reply, 'until'>): Reply {
  const [method = '', target = ''] = route.split(' ');
  const url = new URL(target, 'http://scripted');
  const query = url.search ? Object.fromEntries(url.searchParams) : undefined;
  return { ...reply, on: { method, path: url.pathname, ...(query && { query }) } };
}

function matches(route: Route, method: string, rawUrl: string): boolean {
  if (route.method !== method) return false;
  const url = new URL(rawUrl, 'http://scripted');
  if (url.pathname !== route.path) return false;
  return Object.entries(route.query ?? {}).every(([name, value]) => url.searchParams.get(name) === value);
}

export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as they arrived on the wire. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request arrived (ms since the epoch). */
  at: number;
  /** The client's port: requests sharing it came over one keep-alive connection. */
  clientPort: number | undefined;
}

export interface ScriptedUpstream {
  url: string;
  received: ReceivedRequest[];
  /**
   * Queues replies, one per request: a request takes the first routed reply for its route, or else
   * the first reply without a route.
   */
  reply(...replies: Reply[]): void;
  /** Answers every request that finds the queue empty with this reply (instead of failing). */
  always(reply: Reply | undefined): void;
  /** The most requests that were being answered at the same time. */
  maxInFlight(): number;
  /** Requests whose client closed the connection before an answer was written. */
  abandoned(): number;
  /** Resolves once `count` requests have arrived (their bodies read). */
  whenReceived(count: number): Promise<void>;
  /** Resolves once `count` requests have been left by their client before an answer. */
  whenAbandoned(count: number): Promise<void>;
  /** Fails if a scripted reply was never used. */
  verify(): void;
  close(): Promise<void>;
}

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const queue: Reply[] = [];
  let fallback: Reply | undefined;
  let abandoned = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => boolean>();
  const changed = () => {
    for (const waiter of waiters) if (waiter()) waiters.delete(waiter);
  };
  const when = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const waiter = () => {
        if (!done()) return false;
        resolve();
        return true;
      };
      if (!waiter()) waiters.add(waiter);
    });
  const server: Server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        rawUrl: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        clientPort: req.socket.remotePort,
      });
      changed();
      const method = req.method ?? '';
      const rawUrl = req.url ?? '';
      let index = queue.findIndex((reply) => reply.on !== undefined && matches(reply.on, method, rawUrl));
      if (index < 0) index = queue.findIndex((reply) => reply.on === undefined);
      const next = (index < 0 ? undefined : queue.splice(index, 1)[0]) ?? fallback;
      if (!next) {
        res.writeHead(599, { 'content-type': 'text/plain' }).end('no scripted reply left');
        return;
      }
      const until = next.until;
      if ('hang' in next || (until && 'status' in next)) {
        res.on('close', () => {
          if (!res.writableEnded) abandoned += 1;
          changed();
        });
      }
      if ('hang' in next) return;
      const answer = () => {
        if (res.destroyed) return;
        if ('reset' in next) {
          req.socket.resetAndDestroy();
          return;
        }
        if ('close' in next) {
          req.socket.destroySoon();
          return;
        }
        res.writeHead(next.status, {
          ...(next.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...next.headers,
        });
        res.end(next.json !== undefined ? JSON.stringify(next.json) : (next.body ?? ''));
      };
      if (until) void until.finally(answer);
      else if ('status' in next && next.delayMs) setTimeout(answer, next.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    reply: (...replies) => queue.push(...replies),
    abandoned: () => abandoned,
    whenReceived: (count) => when(() => received.length >= count),
    whenAbandoned: (count) => when(() => abandoned >= count),
    maxInFlight: () => maxInFlight,
    always: (reply) => {
      fallback = reply;
    },
    verify() {
      if (queue.length > 0) throw new Error(`${queue.length} scripted upstream replies were never used`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
