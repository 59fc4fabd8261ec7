/**
 * A counting upstream: a loopback proxy in front of the Elastic Path emulator that records every
 * call's arrival time (`performance.now()`), method, path and token, and can answer the next
 * calls of a chosen token with 429 (as Elastic Path does over its limit: no `Retry-After`).
 */
import { createServer, request as forward, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Arrival {
  at: number;
  method: string;
  /** Without the query. */
  path: string;
  /** The bearer token the call carried. */
  token: string;
  /** What the call was answered with (429 when this proxy refused it). */
  status?: number;
}

export interface CountingUpstream {
  url: string;
  arrivals: Arrival[];
  /** Answers the next `count` calls that carry `token` with 429; resolves when all were answered. */
  refuse(token: string, count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingUpstream(target: string): Promise<CountingUpstream> {
  const arrivals: Arrival[] = [];
  // node's Agent keeps an idle socket with no timeout of its own forever (the server's keep-alive
  // hint only shortens a timeout it already has), so the emulator's 5 s keep-alive could close one
  // just as a POST goes out on it, and this proxy would drop a write the gateway must then call
  // lost. Idle sockets close well before that.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 2_000 });
  const targetUrl = new URL(target);
  let refusals: { token: string; left: number; done: () => void } | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    const arrival: Arrival = { at: performance.now(), method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', token };
    arrivals.push(arrival);
    if (refusals && refusals.token === token && refusals.left > 0) {
      refusals.left -= 1;
      if (refusals.left === 0) refusals.done();
      arrival.status = 429;
      req.resume();
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ status: 429, title: 'Too Many Requests' }] }));
      return;
    }
    const upstream = forward(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        arrival.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    refuse(token, count) {
      return new Promise((resolve) => {
        refusals = { token, left: count, done: resolve };
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

/** The most arrivals in any one-second window (each window starting at an arrival). */
export function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && (sorted[end] ?? Infinity) < (sorted[start] ?? 0) + 1000) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}
