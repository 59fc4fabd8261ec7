/**
 * A fleet on loopback: three gateway processes (`node dist/server.js`) sharing one real Redis,
 * in front of one counting upstream (the emulator behind a proxy that records every arrival).
 * Each replica gets its own token, so every arrival says which replica sent it.
 */
import { fileURLToPath } from 'node:url';
import type { QuotaStart } from '../../src/upstream/quota/quota.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';
import { startCountingUpstream, type Arrival, type CountingUpstream } from '../support/counting-upstream.js';
import { settings } from '../support/lifecycle.js';
import { startRedis, type TestRedis } from '../support/redis.js';

export interface Replica {
  url: string;
  /** The token this replica's callers send (without `Bearer `). */
  token: string;
  /** A metric's value (summed over its series matching `labels`), from the replica's /metrics. */
  metric(name: string, labels?: string): Promise<number>;
  /**
   * The starts its quota granted from `since` (Unix ms) on, as `record-starts.mjs` writes them: each
   * stamped when the window counted it (on Redis's clock when shared, its own when local).
   */
  starts(since: number): Start[];
}

export type Start = QuotaStart;

/** Now, in Unix milliseconds with the monotonic clock's precision, as the replicas stamp starts. */
export const unixNow = () => performance.timeOrigin + performance.now();

export interface Fleet {
  redis: TestRedis;
  emulator: Emulator;
  upstream: CountingUpstream;
  replicas: Replica[];
  /** Arrivals from `since` on, optionally only those of one replica. */
  arrivals(since: number, replica?: Replica): Arrival[];
  close(): Promise<void>;
}

export async function startFleet(env: Record<string, string>, size = 3): Promise<Fleet> {
  try {
    return await fleetOf(env, size);
  } catch (error) {
    // Whatever did start (Redis, some replicas) must not outlive the failed start.
    await killLeftoverProcesses();
    throw error;
  }
}

async function fleetOf(env: Record<string, string>, size: number): Promise<Fleet> {
  const redis = await startRedis();
  const emulator = createEmulator();
  const upstream = await startCountingUpstream(await emulator.listen(0));
  const replicas = await Promise.all(
    Array.from({ length: size }, async () => {
      const started = startProcess('dist/server.js', {
        env: settings({
          EP_API_BASE_URL: upstream.url,
          REDIS_URL: redis.url,
          // A shared machine can stall any process for tens of milliseconds: a 50 ms timeout
          // would send calls to the local share, which only the Redis-down test wants.
          REDIS_TIMEOUT_MS: '1000',
          NODE_OPTIONS: `--import ${fileURLToPath(new URL('./record-starts.mjs', import.meta.url))}`,
          ...env,
        }),
      });
      // Three processes starting at once on a shared machine: allow them a minute.
      const [, url = ''] = await started.waitFor(/"url":"(http:\/\/[^"]+)\/graphql"/, 60_000);
      const process = { ...started, url };
      const replica: Replica = {
        url: process.url,
        token: emulator.issueToken(),
        metric: (name, labels) => metric(process.url, name, labels),
        starts: (since) =>
          process
            .stderr()
            .split('\n')
            .filter((line) => line.startsWith('{"quotaStart":'))
            .map((line) => (JSON.parse(line) as { quotaStart: Start }).quotaStart)
            .filter((start) => start.at >= since),
      };
      return replica;
    }),
  );
  return {
    redis,
    emulator,
    upstream,
    replicas,
    arrivals: (since, replica) =>
      upstream.arrivals.filter((arrival) => arrival.at >= since && (!replica || arrival.token === replica.token)),
    async close() {
      await killLeftoverProcesses();
      await upstream.close();
      await emulator.close();
      await redis.close();
    },
  };
}

/** A metric's value on `url`'s /metrics, summed over its series whose labels contain `labels` (0 before any). */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Polls until `check` holds (each replica reports on its own schedule), or fails after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every replica decides its quota in Redis, having seen all of them alive. */
export async function allShared(fleet: Fleet): Promise<void> {
  await eventually('every replica uses the shared quota and sees the whole fleet', async () => {
    const states = await Promise.all(
      fleet.replicas.map(async (replica) => [await replica.metric('upstream_quota_mode'), await replica.metric('upstream_quota_replicas')]),
    );
    return states.every(([mode, seen]) => mode === 1 && seen === fleet.replicas.length);
  });
}

export interface Load {
  /** Codes of every error an operation answered with (none expected). */
  errors: string[];
  done: number;
  stop(): Promise<void>;
}

/** `loops` callers of one replica, each sending one operation after another until stopped. */
export function load(replica: Replica, loops: number, body: { query: string; variables?: Record<string, unknown> }): Load {
  let stopped = false;
  const state: Load = { errors: [], done: 0, stop: async () => {} };
  const runs = Array.from({ length: loops }, async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${replica.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${replica.token}` },
          body: JSON.stringify(body),
        });
        const result = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
        for (const error of result.errors ?? []) state.errors.push(error.extensions?.code ?? 'UNKNOWN');
        state.done += 1;
      } catch (error) {
        state.errors.push(`fetch failed: ${(error as Error).message}`);
      }
    }
  });
  state.stop = async () => {
    stopped = true;
    await Promise.all(runs);
  };
  return state;
}
