/**
 * A write never misreports: a membership that existed before a create's write is never reported as
 * made by it, whatever Elastic Path's clock says; a write cut off by the deadline or by the caller
 * leaving is looked up; and a read that overlaps a write is never reused after it. Each scenario
 * runs against the emulator, driven into the case with its faults, or against a scripted Elastic
 * Path whose `Date` header runs behind or ahead of ours.
 *
 * The documents select only fields every version of the schema has (`created`, `__typename`), so
 * that what they assert is the behaviour, not the schema.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { epError, membershipBody, pageBody } from '../support/bodies.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { startStack, type Stack } from '../support/stack.js';

const { globex } = DEMO.accounts;

const ENSURE = /* GraphQL */ `
  mutation Ensure($accountId: ID!, $accountMemberId: ID!) {
    ensureAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
      __typename
      ... on EnsuredAccountMembership { created membership { id } }
    }
  }
`;
const ENSURE_MANY = /* GraphQL */ `
  mutation EnsureMany($accountId: ID!, $accountMemberIds: [ID!]!) {
    ensureAccountMemberships(accountId: $accountId, accountMemberIds: $accountMemberIds) {
      __typename
      ... on EnsuredAccountMemberships { created existing failed }
    }
  }
`;
const CREATE = /* GraphQL */ `
  mutation Create($accountId: ID!, $accountMemberId: ID!) {
    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
      __typename
      ... on AccountMembership { id }
    }
  }
`;
const MEMBERSHIP_OF = /* GraphQL */ `
  query MembershipOf($accountId: ID!, $accountMemberId: ID!) {
    accountMemberships(accountId: $accountId, accountMemberId: $accountMemberId, first: 1) { edges { node { id } } }
  }
`;

type Result = Awaited<ReturnType<TestGateway['post']>>;
const fieldOf = (result: Result, name: string) => result.data?.[name] as Record<string, unknown> | null | undefined;

async function reconciliations(gateway: TestGateway): Promise<Record<string, number>> {
  const metric = await gateway.gateway.metrics.registry.getSingleMetric('graphql_reconciliations_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((sample) => [String(sample.labels.outcome), sample.value]));
}

describe('a membership that existed before the write (the emulator)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { EP_API_TIMEOUT_MS: '1000', EP_API_RETRY_BASE_MS: '5' } } });
  });
  afterEach(() => stack.emulator.faults.clear());
  afterAll(() => stack.close());

  /** A new member of Globex whose membership was made `agoMs` before now. */
  function memberSince(agoMs: number) {
    const member = stack.emulator.store.addMember({ name: `Since ${agoMs}`, email: `since-${agoMs}-${Math.random()}@example.com` });
    stack.emulator.store.addMembership(globex.id, member.id, { created_at: new Date(Date.now() - agoMs).toISOString() });
    return member;
  }

  it('is never reported as created when the 409 answer to the write was lost and the membership is seconds old', async () => {
    const member = memberSince(3_000);
    stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

    const result = await stack.gateway.post(
      { query: ENSURE, variables: { accountId: globex.id, accountMemberId: member.id } },
      { authorization: stack.authorization },
    );

    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'ensureAccountMembership')).toMatchObject({ __typename: 'EnsuredAccountMembership', created: false });
    expect(result.extensions?.reconciled).toBe(true);
    expect(stack.emulator.faults.counts.resetsAfterProcessing).toBe(1);
  });

  it('gives createAccountMembership MembershipAlreadyExistsError in the same state, not the membership', async () => {
    const member = memberSince(3_000);
    stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

    const result = await stack.gateway.post(
      { query: CREATE, variables: { accountId: globex.id, accountMemberId: member.id } },
      { authorization: stack.authorization },
    );

    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'createAccountMembership')).toEqual({ __typename: 'MembershipAlreadyExistsError' });
    expect(stack.emulator.store.membershipsOfMember(member.id)?.size).toBe(1);
  });
});

describe("Elastic Path's clock, measured from its Date headers (a scripted Elastic Path)", () => {
  let upstream: ScriptedUpstream;
  let gateway: TestGateway | undefined;
  beforeAll(async () => {
    upstream = await startScriptedUpstream();
  });
  afterEach(async () => {
    // A gateway per test: each measures its own Elastic Path clock from scratch.
    await gateway?.close();
    gateway = undefined;
    upstream.verify();
    upstream.received.length = 0;
  });
  afterAll(() => upstream.close());

  const start = async (env: Record<string, string> = {}) => {
    gateway = await startGateway({ upstreamUrl: upstream.url, env: { EP_API_TIMEOUT_MS: '1000', EP_API_RETRY_BASE_MS: '5', ...env } });
    return gateway;
  };
  const create = (started: TestGateway) =>
    started.post({ query: CREATE, variables: { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID } }, { authorization: TOKEN });
  /**
   * The lookup's answer: the membership made at `createdAtMs`, stamped with Elastic Path's `Date` of
   * `dateMs` (when given; otherwise the real one as it is answered).
   */
  const lookupAnswer = (createdAtMs: number, dateMs?: number) => {
    const { data } = membershipBody();
    const at = new Date(createdAtMs).toISOString();
    return {
      status: 200,
      json: pageBody([{ ...data, meta: { timestamps: { created_at: at, updated_at: at } } }]),
      ...(dateMs !== undefined && { headers: { date: new Date(dateMs).toUTCString() } }),
    };
  };

  it('does not call this write\'s own membership "already there" when Elastic Path\'s clock runs 60 s behind', async () => {
    const started = await start();
    const behind = -60_000;
    // Made as the write arrived, stamped by a clock 60 s behind ours.
    upstream.reply({ reset: true }, lookupAnswer(Date.now() + behind, Date.now() + behind));

    const result = await create(started);

    expect(result.data?.createAccountMembership ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(result.errors?.[0]?.message).toContain(`Account member ${MEMBER_ID} is a member of account ${ACCOUNT_ID} now`);
    expect(upstream.received.map((request) => request.method)).toEqual(['POST', 'GET']);
  });

  it('calls a membership made 10 s before the write "already there" when Elastic Path\'s clock runs 60 s ahead', async () => {
    const started = await start();
    const ahead = 60_000;
    upstream.reply({ reset: true }, lookupAnswer(Date.now() + ahead - 10_000, Date.now() + ahead));

    const result = await create(started);

    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'createAccountMembership')).toEqual({ __typename: 'MembershipAlreadyExistsError' });
    expect(result.extensions?.reconciled).toBe(true);
  });

  it("never takes another member's membership, in a lookup answer, for the one the write was for", async () => {
    const started = await start();
    const { data } = membershipBody('0b000000-0000-4000-8000-00000000ffff');
    upstream.reply({ reset: true }, { status: 200, json: pageBody([data]) });

    const result = await create(started);

    expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(await reconciliations(started)).toMatchObject({ absent: 1 });
    expect(upstream.received.map((request) => request.method)).toEqual(['POST', 'GET']);
  });

  it('takes the send time when the write leaves, not before it waited for a 429 to be retried', async () => {
    // The first attempt's 429 comes 2.5 s later; the membership was made as the call began, by
    // someone else: before the write that reached Elastic Path left.
    const started = await start({ EP_API_TIMEOUT_MS: '5000' });
    const began = Date.now();
    upstream.reply({ status: 429, json: epError(429, 'Too Many Requests'), delayMs: 2_500 }, { reset: true }, lookupAnswer(began));

    const result = await create(started);

    expect(upstream.received.map((request) => request.method)).toEqual(['POST', 'POST', 'GET']);
    expect(upstream.received[1]!.at - began).toBeGreaterThanOrEqual(2_500);
    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'createAccountMembership')).toEqual({ __typename: 'MembershipAlreadyExistsError' });
  });
});

describe('a write cut off by the operation deadline or the caller leaving (the emulator)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The deadline (4 s) ends each write 1 s early: a quarter of it, less than EP_API_TIMEOUT_MS.
    stack = await startStack({ gateway: { env: { OPERATION_TIMEOUT_MS: '4000', EP_API_TIMEOUT_MS: '5000', EP_API_RETRY_BASE_MS: '5' } } });
  });
  afterEach(() => {
    stack.emulator.faults.clear();
    stack.emulator.clearRequests();
  });
  afterAll(() => stack.close());

  const auth = () => ({ authorization: stack.authorization });
  const newMember = (label: string) =>
    stack.emulator.store.addMember({ name: label, email: `${label.toLowerCase()}-${Math.random()}@example.com` });
  const lookups = () => stack.upstreamCalls().filter((call) => call.method === 'GET');

  it('is looked up within the deadline: createAccountMembership never says "try again" for a write that landed', async () => {
    const member = newMember('Deadline');
    // Processed at once, answered long after the operation's deadline.
    stack.emulator.faults.set({ latencyAfterProcessingMs: 8_000, methods: ['POST'] });

    const result = await stack.gateway.post({ query: CREATE, variables: { accountId: globex.id, accountMemberId: member.id } }, auth());

    expect(stack.emulator.store.membershipsOfMember(member.id)?.size).toBe(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
    expect(result.errors?.[0]?.message).not.toMatch(/try again/i);
    expect(result.extensions?.reconciled).toBe(true);
    expect(lookups()).toHaveLength(1);
    expect(lookups()[0]?.query.get('filter')).toBe(`eq(account_member_id,${member.id})`);
  });

  it('answers ensureAccountMembership with the membership, not a timeout', async () => {
    const member = newMember('DeadlineEnsure');
    stack.emulator.faults.set({ latencyAfterProcessingMs: 8_000, methods: ['POST'] });

    const result = await stack.gateway.post({ query: ENSURE, variables: { accountId: globex.id, accountMemberId: member.id } }, auth());

    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'ensureAccountMembership')).toMatchObject({ __typename: 'EnsuredAccountMembership' });
    expect(result.extensions?.reconciled).toBe(true);
  });

  it('answers a bulk ensure whose writes share one deadline with a result per member', async () => {
    const members = [newMember('BulkDeadline'), newMember('BulkDeadline'), newMember('BulkDeadline')];
    stack.emulator.faults.set({ latencyAfterProcessingMs: 8_000, methods: ['POST'] });

    const result = await stack.gateway.post(
      { query: ENSURE_MANY, variables: { accountId: globex.id, accountMemberIds: members.map((member) => member.id) } },
      auth(),
    );

    expect(result.errors).toBeUndefined();
    expect(fieldOf(result, 'ensureAccountMemberships')).toMatchObject({ __typename: 'EnsuredAccountMemberships', failed: 0 });
    expect(lookups().filter((call) => call.query.has('filter'))).toHaveLength(3);
  });

  it('is looked up after the caller left, for the metric and the access log only', async () => {
    const member = newMember('Gone');
    stack.emulator.faults.set({ latencyAfterProcessingMs: 8_000, methods: ['POST'] });
    const before = await reconciliations(stack.gateway);
    const from = stack.gateway.logs.length;

    const leaving = new AbortController();
    const sent = fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ query: CREATE, variables: { accountId: globex.id, accountMemberId: member.id } }),
      signal: leaving.signal,
    }).catch((error: unknown) => error);
    // The write reached Elastic Path and was applied; its answer is being held back.
    await expect.poll(() => stack.emulator.store.membershipsOfMember(member.id)?.size ?? 0, { timeout: 10_000 }).toBe(1);
    leaving.abort();
    expect(await sent).toBeInstanceOf(Error);

    await expect
      .poll(
        async () => {
          const after = await reconciliations(stack.gateway);
          return Object.values(after).reduce((sum, count) => sum + count, 0) - Object.values(before).reduce((sum, count) => sum + count, 0);
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(lookups()).toHaveLength(1);
    await expect
      .poll(
        () =>
          stack.gateway.logs
            .slice(from)
            .map((line) => JSON.parse(line) as { msg: string; reconciliations?: Record<string, number> })
            .find((line) => line.msg === 'operation')?.reconciliations,
      )
      .toBeDefined();
  });
});

describe('the reads of one request (the emulator)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { EP_API_TIMEOUT_MS: '2000', EP_API_RETRY_BASE_MS: '5' } } });
  });
  afterAll(() => stack.close());

  it('never answers a lookup after a write from a read that overlapped the write', async () => {
    const member = stack.emulator.store.addMember({ name: 'Overlap', email: 'overlap@example.com' });
    // The create is held before it is applied, then its answer is lost; the query's read of the
    // same filtered list, sent meanwhile, finds nothing yet.
    stack.emulator.faults.set({ latencyMs: 500, resetAfterProcessingRate: 1, methods: ['POST'] });
    const variables = { accountId: globex.id, accountMemberId: member.id };

    const response = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: stack.authorization },
      body: JSON.stringify([
        { query: ENSURE, variables },
        { query: MEMBERSHIP_OF, variables },
      ]),
    });
    const [ensured, read] = (await response.json()) as Result[];
    stack.emulator.faults.clear();

    const calls = stack.upstreamCalls().map((call) => call.method);
    // The overlap happened: the query's read (and the ensure's own read of the same list, beside its
    // write) arrived while the create was out, before it was applied; neither was shared or kept.
    expect(calls.slice(0, 3)).toEqual(['POST', 'GET', 'GET']);
    expect((read?.data?.accountMemberships as { edges: unknown[] } | undefined)?.edges).toHaveLength(0);
    // The lookup after the lost answer read afresh, and found the membership.
    expect(calls).toEqual(['POST', 'GET', 'GET', 'GET']);
    expect(ensured?.errors).toBeUndefined();
    expect(ensured?.data?.ensureAccountMembership).toMatchObject({ __typename: 'EnsuredAccountMembership' });
  });
});
