/**
 * Fault injection under concurrent load: the emulator misbehaves in each of its fault modes while
 * many operations run at once. Every response must be a correct result or a coded error, the
 * gateway must stay up, retries must stay within budget, and no membership is created twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSettings } from '../../src/emulator/faults.js';
import { DEMO } from '../../src/emulator/seed.js';
import { AccountMemberDocument, AccountMembershipsDocument, CreateAccountMembershipDocument } from '../gql/graphql.js';
import type { GraphQLResponse } from '../support/gateway.js';
import { startStack, type Stack } from '../support/stack.js';

const CODED = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_ERROR', 'RATE_LIMITED', 'WRITE_OUTCOME_UNKNOWN']);
const { acme, globex } = DEMO.accounts;
const { ron } = DEMO.members;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    gateway: {
      env: {
        // No mode here holds an answer back: a timeout would only be the shared machine being slow,
        // and a create whose answer timed out is honestly reported as of unknown outcome.
        EP_API_TIMEOUT_MS: '5000',
        EP_API_RETRY_BASE_MS: '5',
        // Each mode is judged on its own; the breaker has its own scenario below.
        EP_API_BREAKER_MIN_CALLS: '100000',
      },
    },
  });
});
afterEach(() => stack.reset());
afterAll(() => stack.close());

function expectResultOrCodedError(result: GraphQLResponse<unknown>, isCorrect: (data: any) => boolean): 'ok' | string {
  if (result.errors?.length) {
    for (const error of result.errors) {
      expect(CODED.has(String(error.extensions?.code)), `uncoded error: ${JSON.stringify(error)}`).toBe(true);
    }
    return String(result.errors[0]?.extensions?.code);
  }
  expect(isCorrect(result.data), `wrong data: ${JSON.stringify(result.data)}`).toBe(true);
  return 'ok';
}

/** 60 operations at once: reads of a member, pages of memberships, and creates for fresh members. */
async function load(run: number) {
  const auth = { authorization: stack.authorization };
  const fresh = Array.from({ length: 20 }, (_, index) =>
    stack.emulator.store.addMember({ name: `Fault ${run}-${index}`, email: `fault-${run}-${index}@example.com` }),
  );
  const reads = Array.from({ length: 20 }, () =>
    stack.gateway
      .execute(AccountMemberDocument, { id: ron.id }, auth)
      .then((result) => expectResultOrCodedError(result, (data) => data.accountMember?.name === ron.name)),
  );
  const pages = Array.from({ length: 20 }, () =>
    stack.gateway
      .execute(AccountMembershipsDocument, { accountId: acme.id, first: 5 }, auth)
      .then((result) =>
        expectResultOrCodedError(result, (data) =>
          data.accountMemberships.edges.every((edge: any) => typeof edge.node.accountMember.name === 'string'),
        ),
      ),
  );
  const creates = fresh.map((member) =>
    stack.gateway.execute(CreateAccountMembershipDocument, { accountId: globex.id, accountMemberId: member.id }, auth).then((result) =>
      expectResultOrCodedError(result, (data) => {
        const created = data.createAccountMembership;
        // A retried create that Elastic Path had already processed would surface as "already exists".
        return created.__typename === 'AccountMembership' && created.accountMember.id === member.id;
      }),
    ),
  );
  const outcomes = await Promise.all([...reads, ...pages, ...creates]);
  return { outcomes, fresh };
}

/**
 * Each mode, and the least share of the 60 operations that must come back correct in it: all of
 * them where no answer is lost (latency, stale keep-alive), and otherwise what retries and
 * reconciliation allow with a wide margin (reads retry 503s, resets and truncations; a create is
 * repeated only after a refusal, and a lost create is looked up; a 500 is never retried).
 */
const modes: Array<[string, FaultSettings, number]> = [
  ['added latency', { latencyMs: [5, 60], seed: 1 }, 1],
  ['30% 503 answers', { errorRate: { 503: 0.3 }, seed: 2 }, 0.6],
  ['30% 500 answers', { errorRate: { 500: 0.3 }, seed: 3 }, 0.5],
  ['a burst of 25 429s', { burst429: 25 }, 0.5],
  ['20% connection resets', { resetRate: 0.2, seed: 4 }, 0.7],
  ['20% lost responses (processed, then reset)', { resetAfterProcessingRate: 0.2, seed: 5 }, 0.7],
  ['20% truncated bodies', { truncateRate: 0.2, seed: 6 }, 0.7],
  ['stale keep-alive sockets', { staleKeepAlive: true }, 1],
];

describe('under load with faults', () => {
  it.each(modes)(
    'answers every operation with a correct result or a coded error, enough of them correct: %s',
    async (_name, faults, leastCorrect) => {
      const before = stack.gateway.gateway.upstream.stats();
      stack.emulator.faults.set(faults);
      const { outcomes, fresh } = await load(modes.findIndex(([, f]) => f === faults));
      const { latency, status, resets, resetsAfterProcessing, truncations, staleCloses } = stack.emulator.faults.counts;
      const injected =
        latency + resets + resetsAfterProcessing + truncations + staleCloses + Object.values(status).reduce((sum, count) => sum + count, 0);
      stack.emulator.faults.clear();
      expect(injected, 'the emulator injected no fault').toBeGreaterThan(0);

      expect(outcomes).toHaveLength(60);
      const correct = outcomes.filter((outcome) => outcome === 'ok').length;
      expect(correct / outcomes.length, `outcomes: ${outcomes.join(' ')}`).toBeGreaterThanOrEqual(leastCorrect);
      // Still serving.
      expect((await fetch(`${stack.gateway.url}/health`)).status).toBe(200);

      // Retries within budget, and every attempt accounted for at the emulator.
      const after = stack.gateway.gateway.upstream.stats();
      const calls = after.calls - before.calls;
      const retries = after.retries - before.retries;
      expect(retries).toBeLessThanOrEqual(calls * 0.1 + 10);
      expect(stack.upstreamCalls()).toHaveLength(calls + retries);

      // No create was sent twice unless Elastic Path provably had not processed it (429 or refused):
      // counted as writes received, since the emulator itself would refuse a second membership.
      for (const member of fresh) {
        const posts = stack.upstreamCalls().filter((call) => call.method === 'POST' && call.body.includes(member.id));
        expect(posts.length).toBeGreaterThanOrEqual(1);
        if (!('burst429' in faults)) expect(posts).toHaveLength(1);
      }
    },
  );

  it('serves everything correctly when there are no faults', async () => {
    const { outcomes } = await load(99);
    expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true);
  });

  it('keeps stale keep-alive sockets from surfacing as errors on reads', async () => {
    stack.emulator.faults.set({ staleKeepAlive: true });
    const auth = { authorization: stack.authorization };
    // Waves of concurrent reads, each sent as the last one's answers arrive, over connections the
    // emulator closes after every answer.
    const results = [];
    for (let wave = 0; wave < 6; wave += 1) {
      results.push(
        ...(await Promise.all(Array.from({ length: 10 }, () => stack.gateway.execute(AccountMemberDocument, { id: ron.id }, auth)))),
      );
    }
    expect(results.map((result) => result.errors ?? result.data?.accountMember?.name)).toEqual(results.map(() => ron.name));
    // Every answer's connection was closed behind it. (The race itself, a request meeting such a
    // close, is rare on loopback; test/resilience/misbehaving-upstream.test.ts makes it happen on purpose.)
    expect(stack.emulator.faults.counts.staleCloses).toBeGreaterThanOrEqual(60);
  });
});

describe('the breaker under a failing upstream', () => {
  it('opens while Elastic Path fails, fails fast, and recovers once it is back', async () => {
    const flaky = await startStack({
      gateway: { env: { EP_API_BREAKER_MIN_CALLS: '5', EP_API_BREAKER_COOLDOWN_MS: '300', EP_API_RETRY_BASE_MS: '5' } },
    });
    try {
      const auth = { authorization: flaky.authorization };
      flaky.emulator.faults.set({ errorRate: { 503: 1 } });
      const failing = await Promise.all(
        Array.from({ length: 30 }, () => flaky.gateway.execute(AccountMemberDocument, { id: ron.id }, auth)),
      );
      expect(failing.every((result) => result.errors?.[0]?.extensions?.code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
      // Far fewer attempts reached Elastic Path than operations were made, retries included.
      expect(flaky.upstreamCalls().length).toBeLessThan(30);
      expect(flaky.gateway.gateway.upstream.stats().breaker).toBe('open');
      // The replica stays in rotation: callers get a coded answer, not a load balancer's bare 503.
      expect((await fetch(`${flaky.gateway.url}/readiness`)).status).toBe(200);

      flaky.emulator.faults.clear();
      // The cooldown over, by the breaker's own clock: one probe may go.
      while (flaky.gateway.gateway.upstream.stats().breaker !== 'half-open') await new Promise((resolve) => setTimeout(resolve, 10));
      const recovered = await flaky.gateway.execute(AccountMemberDocument, { id: ron.id }, auth);
      expect(recovered.data?.accountMember?.name).toBe(ron.name);
      expect(flaky.gateway.gateway.upstream.stats().breaker).toBe('closed');
    } finally {
      await flaky.close();
    }
  });
});
