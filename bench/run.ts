/**
 * `npm run bench`: the gateway against direct REST, side by side in one run, as production runs
 * it (`node dist/server.js`, built first). Scenarios:
 *   - create: `createAccountMembership` (`id createdAt accountMember { id }`) through the gateway,
 *     against a minimal fixed-response upstream, and the same POST sent straight to it;
 *   - member: one member read through the gateway and straight from the emulator;
 *   - page+names: a page of memberships with member names, one gateway call (include) against
 *     the hand-written REST way (the page, then each member).
 *   - create, shared quota: the create through a gateway whose quota is shared through Redis (a
 *     real `redis-server` on loopback, started here), beside the same gateway with its local quota;
 *     and the quota alone, in this process: how long deciding one upstream call's start takes,
 *     locally and in Redis (the latency the shared quota adds to every upstream call).
 * `npm run bench:peer` (`--peer`) adds the create through what a user would pick instead: GraphQL
 * Mesh over an OpenAPI description of the endpoint, served by Hive Gateway (bench/peer/peer.ts).
 * Each runs at 1 connection and at BENCH_CONNECTIONS (50), in alternating rounds, and reports the
 * median round: req/s, p50 and p99, the gateway's CPU milliseconds per operation (process CPU time
 * over operations, read from its own /metrics), and upstream calls per operation. Every
 * connection sends its own `Authorization`, so no cache or request folding can flatter a figure.
 * The machine is small and noisy: compare the ratios from one run, not absolute numbers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO } from '../src/emulator/seed.js';
import { loadConfig } from '../src/config.js';
import { createQuota } from '../src/upstream/quota/quota.js';
import { startRedis, type TestRedis } from '../test/support/redis.js';
import { jsonClient, runLoad, type LoadResult } from './load.js';
import { installPeer, startPeer } from './peer/peer.js';
import { buildGateway, startBenchProcesses, type BenchGateway } from './processes.js';
import { benchRoundTrips } from './round-trips.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
/** The gateway's LOG_LEVEL: `info` writes the access log line of every operation. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'silent';
/** `1` turns tracing on, exporting every span over OTLP/HTTP to a sink on loopback. */
const TRACING = process.env.BENCH_TRACING === '1';
/** `1` adds the create through a gateway with the HTTP fast path off (`HTTP_FAST_PATH=false`), side by side. */
const FULL_HANDLER = process.env.BENCH_FULL_HANDLER === '1';
/**
 * Another checkout with its own `dist/` (e.g. a `git worktree` of an earlier commit, built): adds
 * the create and the page of 100 through its gateway, side by side, for before/after figures.
 */
const BASELINE = process.env.BENCH_BASELINE;
/** Only the scenarios whose names contain this. */
const ONLY = process.env.BENCH_ONLY ?? '';
/**
 * The round-trip set (bench/round-trips.ts): `0` leaves it out, `only` runs it alone; otherwise it
 * runs after the others.
 */
const ROUND_TRIPS = process.env.BENCH_ROUND_TRIPS ?? '1';
/** How long after each call's arrival the round-trip set's Elastic Path answers. */
const ROUND_TRIP_LATENCY_MS = Number(process.env.BENCH_ROUND_TRIP_LATENCY_MS ?? 50);
/** `--peer` (`npm run bench:peer`): also the create through GraphQL Mesh on Hive Gateway, its own process. */
const PEER = process.argv.includes('--peer');

interface Scenario {
  name: string;
  /** The gateway it goes through, for CPU and call counts; none for direct REST. */
  gateway?: BenchGateway;
  run: (connection: number) => Promise<string>;
}

interface Figures extends LoadResult {
  cpuMsPerOp?: number;
  callsPerOp?: number;
}

/** Takes OTLP exports and throws them away, as cheaply as a collector could. */
async function startSpanSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function measure(scenario: Scenario, concurrency: number): Promise<Figures> {
  const before = await scenario.gateway?.usage();
  const result = await runLoad({ durationMs: DURATION_MS, concurrency, run: scenario.run });
  if ((result.outcomes.ok ?? 0) !== result.requests) throw new Error(`${scenario.name}: ${JSON.stringify(result.outcomes)}`);
  const after = await scenario.gateway?.usage();
  if (!before || !after) return result;
  return {
    ...result,
    cpuMsPerOp: ((after.cpuSeconds - before.cpuSeconds) * 1000) / result.requests,
    callsPerOp: (after.upstreamCalls - before.upstreamCalls) / result.requests,
  };
}

/**
 * The quota alone: `count` decisions one after another, then `count` more `concurrency` at a time,
 * locally and through Redis, each timed from asking to the answer. Nothing else runs meanwhile.
 */
async function quotaLatency(redisUrl: string, count = 20_000, concurrency = 8): Promise<void> {
  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
  console.log("\nThe quota alone: one upstream call's start decided, in this process, Redis on loopback.\n");
  console.log('quota'.padEnd(44) + 'p50 ms'.padStart(9) + 'p99 ms'.padStart(9) + 'max ms'.padStart(9));
  for (const [name, env] of [
    ['local', {}],
    ['shared (Redis)', { REDIS_URL: redisUrl }],
  ] as const) {
    const quota = createQuota(loadConfig({ EP_API_MAX_RPS: '100000', ...env }));
    for (let attempt = 0; env.REDIS_URL && quota.stats().mode !== 'shared'; attempt += 1) {
      await quota.take('interactive', 'Bearer warm-up', undefined);
      if (attempt > 500) throw new Error('the quota never reached Redis');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const parallel of [1, concurrency]) {
      const times: number[] = [];
      const worker = async (share: number) => {
        for (let index = 0; index < share; index += 1) {
          const started = performance.now();
          const refused = await quota.take('interactive', 'Bearer bench', undefined);
          if (refused) throw refused;
          times.push(performance.now() - started);
        }
      };
      await Promise.all(Array.from({ length: parallel }, () => worker(Math.floor(count / parallel))));
      // Every decision must have been made where it says: a fallback would flatter the figure.
      if (env.REDIS_URL && quota.stats().mode !== 'shared') throw new Error('the shared quota fell back to local during the run');
      times.sort((a, b) => a - b);
      console.log(
        `${name} @${parallel}`.padEnd(44) +
          percentile(times, 50).toFixed(3).padStart(9) +
          percentile(times, 99).toFixed(3).padStart(9) +
          (times.at(-1) ?? 0).toFixed(3).padStart(9),
      );
    }
    await quota.close();
  }
}

async function bench(latencyMs: number, redis: TestRedis): Promise<void> {
  const sink = TRACING ? await startSpanSink() : undefined;
  const processes = await startBenchProcesses({
    latencyMs,
    connections: CONNECTIONS,
    fullHandler: FULL_HANDLER,
    baseline: BASELINE,
    redisUrl: redis.url,
    gatewayEnv: {
      ...gatewayEnv(),
      ...(sink && { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url }),
    },
  });
  const { acme } = DEMO.accounts;
  const { ron, andy } = DEMO.members;
  const tokens = processes.tokens;
  const auth = (connection: number) => ({ authorization: tokens[connection % tokens.length] as string });
  const fixedAuth = (connection: number) => ({ authorization: `Bearer bench-connection-${connection}` });

  const fixed = jsonClient(processes.fixedUrl, CONNECTIONS);
  const emulator = jsonClient(processes.emulatorUrl, CONNECTIONS * 4);
  const toFixed = jsonClient(processes.fixedGateway.url, CONNECTIONS);
  const toEmulator = jsonClient(processes.emulatorGateway.url, CONNECTIONS);
  const peer = PEER ? await startPeer(processes.fixedUrl) : undefined;
  const toPeer = peer && jsonClient(peer.url, CONNECTIONS);
  const fullHandler = processes.fixedFullHandlerGateway;
  const toFullHandler = fullHandler && jsonClient(fullHandler.url, CONNECTIONS);
  const baseline = processes.fixedBaselineGateway;
  const toBaseline = baseline && jsonClient(baseline.url, CONNECTIONS);
  const shared = processes.fixedSharedGateway;
  const toShared = shared && jsonClient(shared.url, CONNECTIONS);

  const create = {
    query: `mutation { createAccountMembership(accountId: "${acme.id}", accountMemberId: "${andy.id}") { __typename ... on AccountMembership { id createdAt accountMember { id } } } }`,
  };
  // The same create as Mesh names it from Elastic Path's operationId, with the same fields selected.
  const peerCreate = {
    query: `mutation { post_v2_accounts_accountID_account_memberships(accountID: "${acme.id}", input: { data: { type: account_membership, account_member_id: "${andy.id}" } }) { data { id meta { timestamps { created_at } } relationships { account_member { data { id } } } } } }`,
  };
  const member = { query: `{ accountMember(id: "${ron.id}") { name email } }` };
  const page = {
    query: `{ accountMemberships(accountId: "${acme.id}", first: 25) { edges { node { id accountMember { name email } } } } }`,
  };
  const page100 = {
    query: `{ accountMemberships(accountId: "${acme.id}", first: 100) { edges { node { id accountMember { name email } } } } }`,
  };
  const createBody = { data: { type: 'account_membership', account_member_id: andy.id } };
  type Client = ReturnType<typeof jsonClient>;
  // The create and the page of 100 through one gateway to the fixed upstream (as built here, with
  // the fast path off, or another checkout's).
  const createThrough = (name: string, gateway: BenchGateway, client: Client): Scenario => ({
    name,
    gateway,
    run: async (connection) => {
      const { status, body } = await client.post('/graphql', create, fixedAuth(connection));
      return status === 200 && body.data?.createAccountMembership?.__typename === 'AccountMembership' ? 'ok' : `status ${status}`;
    },
  });
  const page100Through = (name: string, gateway: BenchGateway, client: Client): Scenario => ({
    name,
    gateway,
    run: async (connection) => {
      const { status, body } = await client.post('/graphql', page100, fixedAuth(connection));
      return status === 200 && body.data?.accountMemberships?.edges?.length === 100 ? 'ok' : `status ${status}`;
    },
  });

  // One member read through one gateway to the fixed upstream, for before/after figures of a read.
  const memberThrough = (name: string, gateway: BenchGateway, client: Client): Scenario => ({
    name,
    gateway,
    run: async (connection) => {
      const { status, body } = await client.post(
        '/graphql',
        { query: `{ accountMember(id: "${andy.id}") { name email } }` },
        fixedAuth(connection),
      );
      return status === 200 && body.data?.accountMember?.name === andy.name ? 'ok' : `status ${status}`;
    },
  });

  const all: Scenario[] = [
    {
      name: 'create: REST direct',
      run: async (connection) => {
        const { status } = await fixed.post(`/v2/accounts/${acme.id}/account-memberships`, createBody, fixedAuth(connection));
        return status === 201 ? 'ok' : `status ${status}`;
      },
    },
    createThrough('create: gateway', processes.fixedGateway, toFixed),
    ...(fullHandler && toFullHandler ? [createThrough('create: gateway, fast path off', fullHandler, toFullHandler)] : []),
    ...(shared && toShared ? [createThrough('create: gateway, shared quota', shared, toShared)] : []),
    ...(peer && toPeer
      ? [
          {
            name: 'create: Mesh peer',
            gateway: peer,
            run: async (connection: number) => {
              const { status, body } = await toPeer.post('/graphql', peerCreate, fixedAuth(connection));
              const created = body.data?.post_v2_accounts_accountID_account_memberships?.data;
              if (status !== 200 || body.errors) return `status ${status}${body.errors ? `: ${body.errors[0]?.message}` : ''}`;
              return created?.id && created.meta?.timestamps?.created_at && created.relationships?.account_member?.data?.id === andy.id
                ? 'ok'
                : 'no membership';
            },
          },
        ]
      : []),
    {
      name: 'page100+names: REST direct (1 call)',
      run: async (connection) => {
        const { status, body } = await fixed.get(
          `/v2/accounts/${acme.id}/account-memberships?page[limit]=100&include=account_member`,
          fixedAuth(connection),
        );
        return status === 200 && body.data.length === 100 ? 'ok' : `status ${status}`;
      },
    },
    page100Through('page100+names: gateway', processes.fixedGateway, toFixed),
    ...(fullHandler && toFullHandler ? [page100Through('page100+names: gateway, fast path off', fullHandler, toFullHandler)] : []),
    ...(baseline && toBaseline
      ? [
          createThrough('create: baseline gateway', baseline, toBaseline),
          page100Through('page100+names: baseline gateway', baseline, toBaseline),
          memberThrough('member, fixed upstream: gateway', processes.fixedGateway, toFixed),
          memberThrough('member, fixed upstream: baseline gateway', baseline, toBaseline),
        ]
      : []),
    {
      name: 'member: REST direct',
      run: async (connection) => {
        const { status, body } = await emulator.get(`/v2/account-members/${ron.id}`, auth(connection));
        return status === 200 && body.data.name === ron.name ? 'ok' : `status ${status}`;
      },
    },
    {
      name: 'member: gateway',
      gateway: processes.emulatorGateway,
      run: async (connection) => {
        const { status, body } = await toEmulator.post('/graphql', member, auth(connection));
        return status === 200 && body.data?.accountMember?.name === ron.name ? 'ok' : `status ${status}`;
      },
    },
    {
      name: 'page+names: REST by hand (1+N calls)',
      run: async (connection) => {
        const list = await emulator.get(`/v2/accounts/${acme.id}/account-memberships?page[limit]=25`, auth(connection));
        const members = await Promise.all(
          list.body.data.map((m: any) => emulator.get(`/v2/account-members/${m.relationships.account_member.data.id}`, auth(connection))),
        );
        return members.every((m) => m.status === 200) ? 'ok' : 'failed';
      },
    },
    {
      name: 'page+names: gateway (1 call)',
      gateway: processes.emulatorGateway,
      run: async (connection) => {
        const { status, body } = await toEmulator.post('/graphql', page, auth(connection));
        return status === 200 && body.data?.accountMemberships?.edges?.length > 0 ? 'ok' : `status ${status}`;
      },
    },
  ];
  const scenarios = all.filter((scenario) => scenario.name.includes(ONLY));

  const levels = [1, CONNECTIONS];
  // Warm up every path (JIT, connection pools) before measuring.
  for (const scenario of scenarios) {
    for (const concurrency of levels) await runLoad({ total: 500, concurrency, run: scenario.run });
  }
  const results = new Map<string, Figures[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const concurrency of levels) {
      for (const scenario of scenarios) {
        const key = `${scenario.name} @${concurrency}`;
        results.set(key, [...(results.get(key) ?? []), await measure(scenario, concurrency)]);
      }
    }
  }
  const median = (key: string): Figures | undefined => {
    const sorted = [...(results.get(key) ?? [])].sort((a, b) => a.perSecond - b.perSecond);
    return sorted[Math.floor(sorted.length / 2)];
  };

  console.log(
    `\nUpstream latency ${latencyMs} ms; gateway LOG_LEVEL ${LOG_LEVEL}, tracing ${TRACING ? 'on' : 'off'}. ` +
      `${ROUNDS} alternating rounds of ${DURATION_MS} ms; median round.\n`,
  );
  if (peer) console.log(`${peer.description}.\n`);
  console.log(
    'scenario'.padEnd(44) +
      'req/s'.padStart(8) +
      'p50 ms'.padStart(9) +
      'p99 ms'.padStart(9) +
      'CPU ms/op'.padStart(11) +
      'calls/op'.padStart(10),
  );
  for (const concurrency of levels) {
    for (const scenario of scenarios) {
      const figures = median(`${scenario.name} @${concurrency}`);
      if (!figures) continue;
      console.log(
        `${scenario.name} @${concurrency}`.padEnd(44) +
          figures.perSecond.toFixed(0).padStart(8) +
          figures.p50Ms.toFixed(2).padStart(9) +
          figures.p99Ms.toFixed(2).padStart(9) +
          (figures.cpuMsPerOp === undefined ? '' : figures.cpuMsPerOp.toFixed(3)).padStart(11) +
          (figures.callsPerOp === undefined ? '' : figures.callsPerOp.toFixed(2)).padStart(10),
      );
    }
  }
  const ratio = (gateway: string, rest: string, concurrency: number) => {
    const a = median(`${gateway} @${concurrency}`);
    const b = median(`${rest} @${concurrency}`);
    if (!a || !b) return;
    console.log(
      `${gateway} / ${rest} @${concurrency}:`.padEnd(70) +
        `${(a.perSecond / b.perSecond).toFixed(2)}x the throughput, p50 ${a.p50Ms - b.p50Ms >= 0 ? '+' : ''}${(a.p50Ms - b.p50Ms).toFixed(2)} ms` +
        (a.cpuMsPerOp !== undefined && b.cpuMsPerOp !== undefined
          ? `, ${(a.cpuMsPerOp / b.cpuMsPerOp).toFixed(2)}x the CPU per operation`
          : ''),
    );
  };
  console.log('');
  for (const concurrency of levels) {
    ratio('create: gateway', 'create: REST direct', concurrency);
    ratio('create: Mesh peer', 'create: REST direct', concurrency);
    ratio('create: gateway', 'create: Mesh peer', concurrency);
    ratio('create: gateway, fast path off', 'create: REST direct', concurrency);
    ratio('create: gateway, shared quota', 'create: gateway', concurrency);
    ratio('page100+names: gateway', 'page100+names: REST direct (1 call)', concurrency);
    ratio('create: gateway', 'create: baseline gateway', concurrency);
    ratio('page100+names: gateway', 'page100+names: baseline gateway', concurrency);
    ratio('member, fixed upstream: gateway', 'member, fixed upstream: baseline gateway', concurrency);
    ratio('member: gateway', 'member: REST direct', concurrency);
    ratio('page+names: gateway (1 call)', 'page+names: REST by hand (1+N calls)', concurrency);
  }

  const sharedCreate = median(`create: gateway, shared quota @1`);
  const localCreate = median(`create: gateway @1`);
  if (sharedCreate && localCreate) {
    console.log(
      `\nShared quota against local, one create (one upstream call) at a time: p50 ${(sharedCreate.p50Ms - localCreate.p50Ms).toFixed(3)} ms, ` +
        `p99 ${(sharedCreate.p99Ms - localCreate.p99Ms).toFixed(3)} ms, CPU ${((sharedCreate.cpuMsPerOp ?? 0) - (localCreate.cpuMsPerOp ?? 0)).toFixed(3)} ms per operation.`,
    );
  }

  await Promise.all([
    fixed.close(),
    emulator.close(),
    toFixed.close(),
    toEmulator.close(),
    toFullHandler?.close(),
    toBaseline?.close(),
    toShared?.close(),
  ]);
  await toPeer?.close();
  await peer?.stop();
  await processes.stop();
  await sink?.close();
}

/** The gateway's environment in every set: as the container runs it. */
const gatewayEnv = (): Record<string, string> => ({
  // graphql-js skips its development-mode checks, and GraphiQL, introspection and CORS take their
  // production defaults.
  NODE_ENV: process.env.BENCH_NODE_ENV ?? 'production',
  NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=32',
  EP_API_MAX_RPS: '100000',
  EP_API_CONNECTIONS: '64',
  LOG_LEVEL,
});

if (ROUND_TRIPS !== 'only') {
  if (PEER) installPeer();
  // The shared quota's cost is measured beside the local one: a real Redis on loopback, no persistence.
  const redis = await startRedis();
  try {
    await quotaLatency(redis.url);
    // `BENCH_ONLY=quota`: the quota alone.
    if (ONLY !== 'quota') {
      await bench(0, redis);
      if (LATENCY_MS > 0) await bench(LATENCY_MS, redis);
    }
  } finally {
    await redis.close();
  }
}
if (ROUND_TRIPS !== '0') {
  buildGateway();
  await benchRoundTrips({
    latencyMs: ROUND_TRIP_LATENCY_MS,
    runs: Number(process.env.BENCH_ROUND_TRIP_RUNS ?? 9),
    gatewayEnv: gatewayEnv(),
    baseline: BASELINE,
    only: process.env.BENCH_ROUND_TRIPS_ONLY ?? '',
  });
}
