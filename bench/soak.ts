/**
 * `npm run soak`: a bounded soak with faults. The emulator runs with latency, 503s, 429s, resets,
 * lost and truncated responses; the gateway serves SOAK_REQUESTS operations (default 50,000) at
 * SOAK_CONCURRENCY. It checks that every answer is a correct result or a coded error, and that the
 * gateway's heap after a full GC returns to its warm level (no leak). Exits non-zero otherwise.
 */
import { DEMO } from '../src/emulator/seed.js';
import { jsonClient, runLoad } from './load.js';
import { startProcesses } from './processes.js';

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 50_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const CODED = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_ERROR', 'RATE_LIMITED']);

const processes = await startProcesses({
  faultFlags: [
    '--latency-ms=0-5',
    '--error-rate=503:0.03,500:0.01,429:0.02',
    '--reset-rate=0.01',
    '--reset-after-processing-rate=0.005',
    '--truncate-rate=0.01',
    '--fault-seed=7',
  ],
  gatewayEnv: { EP_API_MAX_RPS: '100000', EP_API_TIMEOUT_MS: '2000', EP_API_BREAKER_MIN_CALLS: '50' },
});
const gateway = jsonClient(processes.gatewayUrl, CONCURRENCY);
const auth = { authorization: processes.authorization };
const { acme } = DEMO.accounts;
const { ron, leslie } = DEMO.members;

const operations = [
  {
    body: { query: `{ accountMember(id: "${ron.id}") { name email memberships { totalCount } } }` },
    correct: (data: any) => data?.accountMember?.name === ron.name,
  },
  {
    body: {
      query: `{ accountMemberships(accountId: "${acme.id}", first: 10) { totalCount edges { node { accountMember { name } account { name } } } } }`,
    },
    correct: (data: any) => data?.accountMemberships?.edges?.every((e: any) => typeof e.node.accountMember.name === 'string'),
  },
  {
    // Leslie is already in Acme: a typed "already exists" result, never created twice.
    body: { query: `mutation { createAccountMembership(accountId: "${acme.id}", accountMemberId: "${leslie.id}") { __typename } }` },
    correct: (data: any) => data?.createAccountMembership?.__typename === 'MembershipAlreadyExistsError',
  },
];

let turn = 0;
async function one(): Promise<string> {
  const operation = operations[turn++ % operations.length]!;
  const { status, body } = await gateway.post('/graphql', operation.body, auth);
  if (status >= 500) return `gateway ${status}`;
  if (body.errors?.length) {
    const code = String(body.errors[0]?.extensions?.code);
    return CODED.has(code) ? code : `uncoded: ${body.errors[0]?.message}`;
  }
  return operation.correct(body.data) ? 'ok' : `wrong: ${JSON.stringify(body.data).slice(0, 200)}`;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
await runLoad({ total: 5_000, concurrency: CONCURRENCY, run: one });
const warm = await processes.heapAfterGc();
const started = performance.now();
const result = await runLoad({ total: TOTAL, concurrency: CONCURRENCY, run: one });
const seconds = (performance.now() - started) / 1000;
const end = await processes.heapAfterGc();
const stats = await processes.stats();

console.log(
  `\n${result.requests} operations in ${seconds.toFixed(1)} s (${result.perSecond.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms)`,
);
console.log('outcomes:', JSON.stringify(result.outcomes));
console.log(
  `upstream calls ${stats.calls}, retries ${stats.retries} (${((100 * stats.retries) / Math.max(1, stats.calls)).toFixed(1)}%), breaker ${stats.breaker}`,
);
console.log(`gateway heap after GC: warm ${mib(warm)} MiB, after soak ${mib(end)} MiB (${end >= warm ? '+' : ''}${mib(end - warm)} MiB)`);

await gateway.close();
await processes.stop();

const bad = Object.keys(result.outcomes).filter((outcome) => outcome !== 'ok' && !CODED.has(outcome));
const leaked = end > warm * 1.2 + 5 * 1024 * 1024;
if (bad.length > 0) console.error(`FAIL: answers that are neither correct nor coded: ${bad.join('; ')}`);
if (leaked) console.error('FAIL: the heap did not return to its warm level');
process.exitCode = bad.length > 0 || leaked ? 1 : 0;
