/**
 * `npm run bench`: side-by-side throughput and latency, in one run, of
 *   - one member read straight from the emulator (REST) and through the gateway (GraphQL), and
 *   - a page of memberships with member names: the gateway (one upstream call with
 *     include=account_member) against the hand-written REST way (the page, then each member).
 * Scenarios are interleaved over several rounds and the median round is reported, because this
 * machine is small and noisy; compare the ratios, not the absolute numbers. It runs twice: with
 * an instant upstream (the gateway's own cost) and with BENCH_LATENCY_MS (default 20) added to
 * every upstream answer, as a real network to Elastic Path adds.
 */
import { DEMO } from '../src/emulator/seed.js';
import { jsonClient, runLoad, type LoadResult } from './load.js';
import { startProcesses } from './processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);

async function bench(latencyMs: number): Promise<void> {
  const processes = await startProcesses({
    faultFlags: latencyMs > 0 ? [`--latency-ms=${latencyMs}`] : [],
    gatewayEnv: { EP_API_MAX_RPS: '100000', EP_API_CONNECTIONS: '64' },
  });
  const auth = { authorization: processes.authorization };
  const rest = jsonClient(processes.emulatorUrl, CONCURRENCY * 4);
  const graphql = jsonClient(processes.gatewayUrl, CONCURRENCY);
  const { acme } = DEMO.accounts;
  const { ron } = DEMO.members;

  const memberQuery = { query: `{ accountMember(id: "${ron.id}") { name email } }` };
  const pageQuery = {
    query: `{ accountMemberships(accountId: "${acme.id}", first: 25) { edges { node { id accountMember { name email } } } } }`,
  };

  const scenarios: Record<string, () => Promise<string>> = {
    'member: REST direct': async () => {
      const { status, body } = await rest.get(`/v2/account-members/${ron.id}`, auth);
      return status === 200 && body.data.name === ron.name ? 'ok' : `status ${status}`;
    },
    'member: gateway': async () => {
      const { status, body } = await graphql.post('/graphql', memberQuery, auth);
      return status === 200 && body.data?.accountMember?.name === ron.name ? 'ok' : `status ${status}`;
    },
    'page+names: REST by hand (1+N calls)': async () => {
      const page = await rest.get(`/v2/accounts/${acme.id}/account-memberships?page[limit]=25`, auth);
      const members = await Promise.all(
        page.body.data.map((m: any) => rest.get(`/v2/account-members/${m.relationships.account_member.data.id}`, auth)),
      );
      return members.every((m) => m.status === 200) ? 'ok' : 'failed';
    },
    'page+names: gateway (1 call)': async () => {
      const { status, body } = await graphql.post('/graphql', pageQuery, auth);
      return status === 200 && body.data?.accountMemberships?.edges?.length > 0 ? 'ok' : `status ${status}`;
    },
  };

  // Warm up every path (JIT, connection pools) before measuring.
  for (const run of Object.values(scenarios)) await runLoad({ total: 300, concurrency: CONCURRENCY, run });

  const results: Record<string, LoadResult[]> = {};
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, run] of Object.entries(scenarios)) {
      const result = await runLoad({ durationMs: DURATION_MS, concurrency: CONCURRENCY, run });
      if ((result.outcomes.ok ?? 0) !== result.requests) throw new Error(`${name}: ${JSON.stringify(result.outcomes)}`);
      (results[name] ??= []).push(result);
    }
  }

  const median = (name: string): LoadResult => {
    const sorted = [...(results[name] ?? [])].sort((a, b) => a.perSecond - b.perSecond);
    return sorted[Math.floor(sorted.length / 2)] as LoadResult;
  };

  console.log(`\nUpstream latency ${latencyMs} ms. ${ROUNDS} interleaved rounds of ${DURATION_MS} ms per scenario, ${CONCURRENCY} concurrent; median round:\n`);
  console.log('scenario'.padEnd(40) + 'req/s'.padStart(9) + 'p50 ms'.padStart(9) + 'p99 ms'.padStart(9));
  for (const name of Object.keys(scenarios)) {
    const r = median(name);
    console.log(name.padEnd(40) + r.perSecond.toFixed(0).padStart(9) + r.p50Ms.toFixed(2).padStart(9) + r.p99Ms.toFixed(2).padStart(9));
  }
  const ratio = (a: string, b: string) => (median(a).perSecond / median(b).perSecond).toFixed(2);
  console.log(`\ngateway / REST direct, one member:        ${ratio('member: gateway', 'member: REST direct')}x the throughput`);
  console.log(`gateway / REST by hand, page with names:  ${ratio('page+names: gateway (1 call)', 'page+names: REST by hand (1+N calls)')}x the throughput`);
  console.log(
    `p50 latency, page with names:             ${median('page+names: gateway (1 call)').p50Ms.toFixed(2)} ms vs ${median('page+names: REST by hand (1+N calls)').p50Ms.toFixed(2)} ms`,
  );

  await rest.close();
  await graphql.close();
  await processes.stop();
}

for (const latencyMs of [0, LATENCY_MS]) await bench(latencyMs);
