/** A small closed-loop load generator over undici: N workers, each sending its next request when the last one ends. */
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Outcomes by label (e.g. 'ok', an error code). */
  outcomes: Record<string, number>;
}

export interface LoadOptions {
  /** Run for this long… */
  durationMs?: number;
  /** …or for this many requests in total. */
  total?: number;
  concurrency: number;
  /** One unit of work, on behalf of one of the `concurrency` workers; returns an outcome label. */
  run: (worker: number) => Promise<string>;
}

export async function runLoad({ durationMs, total, concurrency, run }: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  let issued = 0;
  const more = () => (total !== undefined ? issued < total : performance.now() - started < (durationMs ?? 1000));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (more()) {
        issued += 1;
        const t0 = performance.now();
        let outcome: string;
        try {
          outcome = await run(worker);
        } catch (error) {
          outcome = `thrown: ${(error as Error).message}`;
        }
        latencies.push(performance.now() - t0);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, perSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), outcomes };
}

export function jsonClient(url: string, connections: number) {
  const origin = new URL(url).origin;
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async get(path: string, headers: Record<string, string>) {
      const response = await pool.request({ method: 'GET', path, headers });
      return { status: response.statusCode, body: (await response.body.json()) as any };
    },
    async post(path: string, body: unknown, headers: Record<string, string>) {
      const response = await pool.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.statusCode, body: (await response.body.json()) as any };
    },
    close: () => pool.close(),
  };
}
