/**
 * An Elastic Path that times every call: a proxy on loopback in front of a real one (the
 * emulator) that records, in one sequence of events, when each call arrives and when its answer
 * leaves, and holds each answer until the test releases it (`hold`) or for a fixed latency (the
 * benchmark's `latencyMs`). Which calls overlapped, and how many round trips happened one after
 * another, are read from that order, never from wall-clock thresholds.
 *
 *   const upstream = await startTimedUpstream(emulatorUrl, { hold: true });
 *   const answer = gateway.execute(…);
 *   const [member, page] = await upstream.arrivals(2); // both arrived, neither answered yet
 *   upstream.releaseAll();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';

export interface TimedCall {
  method: string;
  /** Path and query as they arrived. */
  url: string;
  /** The arrival's place in the sequence of arrivals and answers. */
  arrived: number;
  /** The answer's place in the same sequence, once it has left. */
  answered?: number;
  /** `performance.now()` at arrival and at answer, for reporting. */
  arrivedAtMs: number;
  answeredAtMs?: number;
  status?: number;
  /** Sends the held answer (at once, if it is not held). */
  release(): void;
}

export interface TimedUpstream {
  url: string;
  calls: TimedCall[];
  /**
   * The first `count` calls, once they have all arrived. When held answers keep the gateway from
   * sending more, that never happens: after `patienceMs` (10 s) it rejects, naming what arrived.
   */
  arrivals(count: number, patienceMs?: number): Promise<TimedCall[]>;
  /** Releases every held answer, and answers later calls at once. */
  releaseAll(): void;
  /** Holds answers again (after `releaseAll`). */
  hold(): void;
  /** Forgets the calls recorded so far. */
  reset(): void;
  close(): Promise<void>;
}

export interface TimedUpstreamOptions {
  /** Hold every answer until `release()` or `releaseAll()`. */
  hold?: boolean;
  /** Send each answer this long after the target gave it (a fixed upstream latency). */
  latencyMs?: number;
}

export async function startTimedUpstream(targetUrl: string, options: TimedUpstreamOptions = {}): Promise<TimedUpstream> {
  const target = new Pool(new URL(targetUrl).origin, { connections: 64 });
  let sequence = 0;
  let holding = options.hold ?? false;
  const calls: TimedCall[] = [];
  const held = new Set<TimedCall>();
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let send: (() => void) | undefined;
      let released = false;
      const call: TimedCall = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        arrived: (sequence += 1),
        arrivedAtMs: performance.now(),
        release() {
          released = true;
          held.delete(call);
          send?.();
        },
      };
      calls.push(call);
      if (holding) held.add(call);
      else call.release();
      for (const wake of waiters) wake();

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
      }
      const body = Buffer.concat(chunks);
      target
        .request({ method: call.method as 'GET', path: call.url, headers, body: body.length > 0 ? body : undefined })
        .then(async (answer) => {
          const text = await answer.body.text();
          const contentType = answer.headers['content-type'];
          const write = () => {
            if (res.destroyed || call.answered !== undefined) return;
            call.answered = sequence += 1;
            call.answeredAtMs = performance.now();
            call.status = answer.statusCode;
            res.writeHead(answer.statusCode, typeof contentType === 'string' ? { 'content-type': contentType } : {});
            res.end(text);
          };
          send = options.latencyMs ? () => setTimeout(write, options.latencyMs) : write;
          if (released) send();
        })
        .catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    arrivals(count, patienceMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (calls.length < count) return;
          done();
          resolve(calls.slice(0, count));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${calls.length} of ${count} calls arrived while ${held.size} answer(s) were held: ${calls.map((call) => `${call.method} ${call.url}`).join(', ')}`,
            ),
          );
        }, patienceMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    releaseAll() {
      holding = false;
      for (const call of [...held]) call.release();
    },
    hold() {
      holding = true;
    },
    reset() {
      calls.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await target.close();
    },
  };
}

/** Whether two calls were in flight at the same time: each arrived before the other was answered. */
export function overlapped(a: TimedCall, b: TimedCall): boolean {
  return a.arrived < (b.answered ?? Infinity) && b.arrived < (a.answered ?? Infinity);
}

/**
 * The round trips the calls took one after another (the critical path): the longest chain of
 * calls in which each arrived only after the one before it had been answered.
 */
export function roundTrips(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.arrived - b.arrived);
  const depth = new Map<TimedCall, number>();
  let longest = 0;
  for (const call of sorted) {
    let before = 0;
    for (const earlier of sorted) {
      if (earlier === call) break;
      if ((earlier.answered ?? Infinity) < call.arrived) before = Math.max(before, depth.get(earlier) ?? 0);
    }
    depth.set(call, before + 1);
    longest = Math.max(longest, before + 1);
  }
  return longest;
}
