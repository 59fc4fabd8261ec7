/**
 * Memberships that are safe to retry and cheap in bulk: `ensureAccountMembership`,
 * `ensureAccountMemberships`, and the reconciliation of lost create answers (for
 * `createAccountMembership` too). Each scenario runs against the emulator, driven into the case on
 * purpose with its faults, or against a scripted Elastic Path, and asserts both what the caller saw
 * and what Elastic Path received, writes counted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import {
  CreateAccountMembershipDocument,
  EnsureAccountMembershipDocument,
  EnsureAccountMembershipIdsOnlyDocument,
  EnsureAccountMembershipsDocument,
  EnsureAccountMembershipsWithNamesDocument,
} from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, MEMBERSHIP_ID, TOKEN } from '../support/ids.js';
import { epError, memberBody, membershipBody, pageBody } from '../support/bodies.js';
import { on, type Answer, type ReceivedRequest, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { useScriptedGateway } from '../support/scripted-gateway.js';
import { startStack, type Stack } from '../support/stack.js';

const { acme, globex } = DEMO.accounts;
const { ron, leslie, andy, tom } = DEMO.members;
const MISSING = '0f000000-0000-4000-8000-00000000dead';
/** `count` distinct well-formed ids of members that do not exist. */
const uuids = (count: number) =>
  Array.from({ length: count }, (_, index) => `0b000000-0000-4000-8000-${String(index + 1000).padStart(12, '0')}`);

const posts = <T extends { method: string }>(calls: readonly T[]): T[] => calls.filter((call) => call.method === 'POST');
const gets = <T extends { method: string }>(calls: readonly T[]): T[] => calls.filter((call) => call.method === 'GET');
const costOf = (result: { extensions?: Record<string, unknown> }) =>
  (result.extensions as { cost?: { estimated: number; actual: number } } | undefined)?.cost;
const reconciledOf = (result: { extensions?: Record<string, unknown> }) => result.extensions?.reconciled;
const membershipsOf = (stack: Stack, accountId: string) => stack.emulator.store.membershipsOfAccount(accountId);

/** `count` new members, in no account. */
function newMembers(stack: Stack, count: number, label: string) {
  return Array.from({ length: count }, (_, index) =>
    stack.emulator.store.addMember({ name: `${label} ${index}`, email: `${label.toLowerCase()}-${index}@example.com` }),
  );
}

describe('against the emulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { EP_API_TIMEOUT_MS: '1000', EP_API_RETRY_BASE_MS: '5' } } });
  });
  afterEach(() => {
    stack.emulator.faults.clear();
    stack.emulator.clearRequests();
  });
  afterAll(() => stack.close());

  const auth = () => ({ authorization: stack.authorization });
  const ensure = (accountId: string, accountMemberId: string) =>
    stack.gateway.execute(EnsureAccountMembershipDocument, { accountId, accountMemberId }, auth());
  const ensureMany = (accountId: string, accountMemberIds: string[]) =>
    stack.gateway.execute(EnsureAccountMembershipsDocument, { accountId, accountMemberIds }, auth());
  const create = (accountId: string, accountMemberId: string) =>
    stack.gateway.execute(CreateAccountMembershipDocument, { accountId, accountMemberId }, auth());

  describe('ensureAccountMembership', () => {
    it('returns an existing membership with created: false after one POST (409) and one filtered GET read beside it, the member read beside them too', async () => {
      const result = await ensure(acme.id, ron.id);

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMembership).toMatchObject({
        __typename: 'EnsuredAccountMembership',
        created: false,
        membership: { id: DEMO.memberships.acmeRon.id, accountId: acme.id, accountMember: { id: ron.id, name: ron.name } },
      });
      const calls = stack.upstreamCalls();
      expect(posts(calls)).toHaveLength(1);
      const lookups = calls.filter((call) => call.path === `/v2/accounts/${acme.id}/account-memberships` && call.method === 'GET');
      expect(lookups).toHaveLength(1);
      expect(lookups[0]?.query.get('filter')).toBe(`eq(account_member_id,${ron.id})`);
      expect(lookups[0]?.query.get('include')).toBe('account_member');
      // The member's record, read while the POST was in flight (wasted here: the lookup included it).
      expect(
        gets(calls)
          .map((call) => call.path)
          .sort(),
      ).toEqual([`/v2/account-members/${ron.id}`, `/v2/accounts/${acme.id}/account-memberships`].sort());
      expect(reconciledOf(result)).toBeUndefined();
      expect(membershipsOf(stack, acme.id)?.size).toBe(3);
    });

    it('creates a new membership with created: true from one POST, the filtered list read beside it', async () => {
      const [member] = newMembers(stack, 1, 'Single');
      const result = await stack.gateway.execute(
        EnsureAccountMembershipIdsOnlyDocument,
        { accountId: globex.id, accountMemberId: member!.id },
        auth(),
      );

      expect(result.data?.ensureAccountMembership).toMatchObject({ created: true, membership: { accountMember: { id: member!.id } } });
      expect(
        stack
          .upstreamCalls()
          .map((call) => `${call.method} ${call.path}`)
          .sort(),
      ).toEqual([`GET /v2/accounts/${globex.id}/account-memberships`, `POST /v2/accounts/${globex.id}/account-memberships`]);
      expect(membershipsOf(stack, globex.id)?.has(member!.id)).toBe(true);
    });

    it('is safe to repeat: the second call writes nothing new and answers created: false', async () => {
      const [member] = newMembers(stack, 1, 'Twice');
      const first = await ensure(globex.id, member!.id);
      const second = await ensure(globex.id, member!.id);

      expect(first.data?.ensureAccountMembership).toMatchObject({ created: true });
      expect(second.data?.ensureAccountMembership).toMatchObject({ created: false });
      const membership = (first.data?.ensureAccountMembership as { membership: { id: string } } | undefined)?.membership.id;
      expect(membership).toBeDefined();
      expect((second.data?.ensureAccountMembership as { membership: { id: string } } | undefined)?.membership.id).toBe(membership);
      expect(stack.emulator.store.membershipsOfMember(member!.id)?.size).toBe(1);
    });

    it.each([
      [
        'an unknown member',
        () => ({ accountId: acme.id, accountMemberId: MISSING }),
        { __typename: 'NotFoundError', resource: 'AccountMember' },
      ],
      [
        'an unknown account',
        () => ({ accountId: MISSING, accountMemberId: andy.id }),
        { __typename: 'NotFoundError', resource: 'Account' },
      ],
      [
        'an id that is not a UUID',
        () => ({ accountId: acme.id, accountMemberId: 'andy' }),
        { __typename: 'ValidationError', field: 'accountMemberId' },
      ],
    ])('answers %s as a typed error', async (_name, variables, expected) => {
      const { accountId, accountMemberId } = variables();
      const result = await ensure(accountId, accountMemberId);
      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMembership).toMatchObject(expected);
      expect(posts(stack.upstreamCalls()).length).toBeLessThanOrEqual(1);
    });
  });

  describe('a lost answer', () => {
    it('is looked up when the connection drops after the create landed: in place, UNCERTAIN (made as the write left), reconciled, one POST', async () => {
      const [member] = newMembers(stack, 1, 'Dropped');
      stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

      const result = await ensure(globex.id, member!.id);

      expect(result.errors).toBeUndefined();
      // Made within the clock's uncertainty of the write leaving: never claimed as created.
      expect(result.data?.ensureAccountMembership).toMatchObject({
        outcome: 'UNCERTAIN',
        created: false,
        membership: { accountMember: { id: member!.id } },
      });
      expect(reconciledOf(result)).toBe(true);
      expect(stack.emulator.faults.counts.resetsAfterProcessing).toBe(1);
      expect(posts(stack.upstreamCalls())).toHaveLength(1);
      expect(
        gets(stack.upstreamCalls())
          .find((call) => call.query.has('filter'))
          ?.query.get('filter'),
      ).toBe(`eq(account_member_id,${member!.id})`);
      expect(stack.emulator.store.membershipsOfMember(member!.id)?.size).toBe(1);
    });

    it('is looked up when the create landed but its answer came after EP_API_TIMEOUT_MS', async () => {
      const [member] = newMembers(stack, 1, 'Late');
      stack.emulator.faults.set({ latencyAfterProcessingMs: 8000, methods: ['POST'] });

      const result = await ensure(globex.id, member!.id);

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'UNCERTAIN', created: false });
      expect(reconciledOf(result)).toBe(true);
      expect(stack.emulator.faults.counts.latencyAfterProcessing).toBe(1);
      expect(posts(stack.upstreamCalls())).toHaveLength(1);
    });

    it('answers WRITE_OUTCOME_UNKNOWN, never "try again", when the lookup finds nothing: one POST, one lookup after it', async () => {
      const [member] = newMembers(stack, 1, 'Unlanded');
      stack.emulator.faults.set({ resetRate: 1, methods: ['POST'] });

      const result = await ensure(globex.id, member!.id);

      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(result.errors?.[0]?.message).toMatch(/may have been\. .*ensureAccountMembership is the safe retry/);
      expect(result.errors?.[0]?.message).not.toMatch(/try again/i);
      expect(reconciledOf(result)).toBeUndefined();
      // The write, the filtered list and the member's record beside it, and the one lookup after it.
      expect(
        stack
          .upstreamCalls()
          .map((call) => call.method)
          .sort(),
      ).toEqual(['GET', 'GET', 'GET', 'POST']);
      expect(gets(stack.upstreamCalls()).filter((call) => call.query.has('filter'))).toHaveLength(2);
      expect(stack.emulator.store.membershipsOfMember(member!.id)?.size).toBe(0);
    });

    it('answers WRITE_OUTCOME_UNKNOWN when the create had not landed by the time it was looked up', async () => {
      const [member] = newMembers(stack, 1, 'Slow');
      // Held before processing: the lookup finds nothing; Elastic Path creates it later.
      // Well past EP_API_TIMEOUT_MS (1000), whose timer may fire late on a busy machine.
      stack.emulator.faults.set({ latencyMs: 6000, methods: ['POST'] });

      const result = await ensure(globex.id, member!.id);

      expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(posts(stack.upstreamCalls())).toHaveLength(1);
      // The filtered list and the member's record beside the write, and the one lookup after it.
      expect(gets(stack.upstreamCalls())).toHaveLength(3);

      // It landed after all: repeating the ensure is how a caller finds out, and writes nothing twice.
      await expect.poll(() => stack.emulator.store.membershipsOfMember(member!.id)?.size, { timeout: 10_000 }).toBe(1);
      stack.emulator.faults.clear();
      const again = await ensure(globex.id, member!.id);
      expect(again.data?.ensureAccountMembership).toMatchObject({ outcome: 'EXISTED', created: false });
      expect(stack.emulator.store.membershipsOfMember(member!.id)?.size).toBe(1);
    });

    it('gives createAccountMembership WRITE_OUTCOME_UNKNOWN, saying the member is in the account, when the membership landed too close to the write to tell', async () => {
      const [member] = newMembers(stack, 1, 'Create');
      stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

      const result = await create(globex.id, member!.id);

      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(result.errors?.[0]?.message).toContain(`Account member ${member!.id} is a member of account ${globex.id} now`);
      expect(result.errors?.[0]?.message).toMatch(/may have been applied.*ensureAccountMembership is the safe retry/);
      expect(reconciledOf(result)).toBe(true);
      expect(posts(stack.upstreamCalls())).toHaveLength(1);
      // The member's record beside the write, and the lookup.
      expect(stack.upstreamCalls()).toHaveLength(3);
    });

    it('gives createAccountMembership MembershipAlreadyExistsError when the lost answer was a 409', async () => {
      stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

      const result = await create(acme.id, leslie.id);

      expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'MembershipAlreadyExistsError' });
      expect(reconciledOf(result)).toBe(true);
      expect(posts(stack.upstreamCalls())).toHaveLength(1);
    });
  });

  describe('ensureAccountMemberships', () => {
    it('answers each id in order with mixed outcomes and counts, writing only for members not yet there', async () => {
      const [first, second] = newMembers(stack, 2, 'Mixed');
      const ids = [ron.id, first!.id, MISSING, second!.id, leslie.id];

      const result = await ensureMany(acme.id, ids);

      expect(result.errors).toBeUndefined();
      const ensured = result.data?.ensureAccountMemberships;
      expect(ensured).toMatchObject({ __typename: 'EnsuredAccountMemberships', created: 2, existing: 2, failed: 1 });
      expect(ensured?.__typename === 'EnsuredAccountMemberships' && ensured.results).toMatchObject([
        {
          __typename: 'EnsuredAccountMembership',
          created: false,
          membership: { id: DEMO.memberships.acmeRon.id, accountMember: { id: ron.id } },
        },
        { __typename: 'EnsuredAccountMembership', created: true, membership: { accountMember: { id: first!.id } } },
        { __typename: 'NotFoundError', resource: 'AccountMember' },
        { __typename: 'EnsuredAccountMembership', created: true, membership: { accountMember: { id: second!.id } } },
        { __typename: 'EnsuredAccountMembership', created: false, membership: { id: DEMO.memberships.acmeLeslie.id } },
      ]);
      // One page of the account's memberships answered Ron and Leslie; one POST for each other id.
      const calls = stack.upstreamCalls();
      expect(gets(calls)).toHaveLength(1);
      expect(gets(calls)[0]?.query.get('page[limit]')).toBe('100');
      expect(
        posts(calls)
          .map((call) => JSON.parse(call.body).data.account_member_id)
          .sort(),
      ).toEqual([first!.id, MISSING, second!.id].sort());
      expect(costOf(result)?.actual).toBe(calls.length);
      expect(costOf(result)?.estimated).toBeGreaterThanOrEqual(calls.length);
    });

    it('retries the creates a 429 burst refused, and every member ends up in the account once', async () => {
      const members = newMembers(stack, 12, 'Burst');
      stack.emulator.faults.set({ burst429: 4, methods: ['POST'] });

      const result = await ensureMany(
        globex.id,
        members.map((member) => member.id),
      );

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 12, existing: 0, failed: 0 });
      expect(stack.emulator.faults.counts.status).toEqual({ '429': 4 });
      expect(posts(stack.upstreamCalls())).toHaveLength(12 + 4);
      for (const member of members) expect(stack.emulator.store.membershipsOfMember(member.id)?.size).toBe(1);
    });

    it('reconciles each lost answer in a bulk add: uncertain, marked reconciled, one POST per member', async () => {
      const members = newMembers(stack, 3, 'BulkLost');
      stack.emulator.faults.set({ resetAfterProcessingRate: 1, methods: ['POST'] });

      const result = await ensureMany(
        globex.id,
        members.map((member) => member.id),
      );

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 0, existing: 0, uncertain: 3, failed: 0 });
      expect(reconciledOf(result)).toBe(true);
      expect(posts(stack.upstreamCalls())).toHaveLength(3);
    });

    it('answers a missing account with one NotFoundError for the whole call, in one upstream call', async () => {
      const result = await ensureMany(MISSING, [ron.id, leslie.id, andy.id, tom.id]);

      expect(result.data?.ensureAccountMemberships).toMatchObject({ __typename: 'NotFoundError', resource: 'Account' });
      expect(stack.upstreamCalls().length).toBeLessThanOrEqual(2);
      expect(posts(stack.upstreamCalls())).toHaveLength(0);
    });

    it.each([
      ['duplicates', [andy.id, tom.id, andy.id], /lists .* more than once/],
      ['duplicates that differ only in case', [andy.id, andy.id.toUpperCase()], /more than once/],
      ['an empty list', [], /1 to 100 ids; got 0/],
      ['101 ids', uuids(101), /1 to 100 ids; got 101/],
      ['an id that is not a UUID', [andy.id, 'tom'], /accountMemberIds\[1\] must be an Elastic Path id/],
    ])('refuses %s with a ValidationError naming accountMemberIds, before any call', async (_name, accountMemberIds, message) => {
      const result = await ensureMany(acme.id, accountMemberIds);

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMemberships).toMatchObject({ __typename: 'ValidationError', field: 'accountMemberIds' });
      expect((result.data?.ensureAccountMemberships as { message: string } | undefined)?.message).toMatch(message);
      expect(stack.upstreamCalls()).toHaveLength(0);
    });

    it('takes 100 ids when MAX_UPSTREAM_CALLS allows their worst case', async () => {
      const roomy = await startStack({ gateway: { env: { MAX_UPSTREAM_CALLS: '110' } } });
      try {
        const account = roomy.emulator.store.addAccount({ name: 'Hundred' });
        const members = newMembers(roomy, 100, 'Hundred');
        const result = await roomy.gateway.execute(
          EnsureAccountMembershipsDocument,
          { accountId: account.id, accountMemberIds: members.map((member) => member.id) },
          { authorization: roomy.authorization },
        );
        expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 100, existing: 0, failed: 0 });
        expect(costOf(result)).toEqual({ estimated: 110, actual: 101 });
      } finally {
        await roomy.close();
      }
    });
  });

  describe('an account with more than one page of memberships', () => {
    /** A new account holding `count` memberships of new members; returns those members, newest last. */
    function bigAccount(count: number) {
      const account = stack.emulator.store.addAccount({ name: `Big ${count}` });
      const members = newMembers(stack, count, `Big${count}`);
      for (const [index, member] of members.entries()) {
        stack.emulator.store.addMembership(account.id, member.id, {
          created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, index)).toISOString(),
        });
      }
      return { account, members };
    }

    it('reads the other pages when they are fewer than the ids it still has to place', async () => {
      const { account, members } = bigAccount(250);
      const [fresh] = newMembers(stack, 1, 'Newcomer');
      // The oldest three are on the last page; pages 2 and 3 cost 2 calls, saving 3 POSTs and 3 lookups.
      const ids = [members[0]!.id, members[1]!.id, members[2]!.id, fresh!.id];

      const result = await ensureMany(account.id, ids);

      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 1, existing: 3, failed: 0 });
      const calls = stack.upstreamCalls();
      expect(
        gets(calls)
          .map((call) => call.query.get('page[offset]'))
          .sort(),
      ).toEqual(['0', '100', '200']);
      expect(posts(calls)).toHaveLength(1);
      expect(costOf(result)?.estimated).toBeGreaterThanOrEqual(calls.length);
    });

    it('looks up a conflict alone when that is cheaper than reading the other pages', async () => {
      const { account, members } = bigAccount(250);

      const result = await ensureMany(account.id, [members[0]!.id]);

      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 0, existing: 1, failed: 0 });
      const calls = stack.upstreamCalls();
      expect(calls.map((call) => call.method)).toEqual(['GET', 'POST', 'GET']);
      expect(calls[2]?.query.get('filter')).toBe(`eq(account_member_id,${members[0]!.id})`);
      expect(costOf(result)?.estimated).toBeGreaterThanOrEqual(calls.length);
    });
  });

  describe('what it may cost', () => {
    it('fits the README onboarding case (forty people, with their names) in the default budget', async () => {
      const account = stack.emulator.store.addAccount({ name: 'Onboarding' });
      const people = newMembers(stack, 40, 'Onboarding');

      const result = await stack.gateway.execute(
        EnsureAccountMembershipsWithNamesDocument,
        { accountId: account.id, accountMemberIds: people.map((person) => person.id) },
        auth(),
      );

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 40 });
      // 40 writes + at most 10 reads, + 40 member lookups for the names.
      expect(costOf(result)).toEqual({ estimated: 90, actual: stack.upstreamCalls().length });
      expect(stack.upstreamCalls()).toHaveLength(1 + 40 + 40);

      // Run again, it is one read: everyone is on the account's first page, names included.
      stack.emulator.clearRequests();
      const again = await stack.gateway.execute(
        EnsureAccountMembershipsWithNamesDocument,
        { accountId: account.id, accountMemberIds: people.map((person) => person.id) },
        auth(),
      );
      expect(again.data?.ensureAccountMemberships).toMatchObject({ created: 0, existing: 40 });
      expect(stack.upstreamCalls()).toHaveLength(1);
    });

    it('refuses 100 ids under the default MAX_UPSTREAM_CALLS before any call, saying by how much', async () => {
      const result = await ensureMany(acme.id, uuids(100));
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 110, limit: 100 });
      expect(stack.upstreamCalls()).toHaveLength(0);
    });

    it('estimates ensureAccountMembership as one write and one lookup, plus what its membership selects', async () => {
      const result = await ensure(acme.id, ron.id);
      // The write, the lookup after its 409, and the member's record read beside the write.
      expect(costOf(result)).toEqual({ estimated: 3, actual: 3 });
    });
  });
});

describe('the membership limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Acme holds 3 memberships; a limit of 4 leaves room for one.
    stack = await startStack({ emulator: { membershipLimit: 4 }, gateway: { env: { EP_BULK_CONCURRENCY: '1' } } });
  });
  afterAll(() => stack.close());

  it('is reported on each item it stops, as MembershipLimitReachedError', async () => {
    const [one, two, three] = newMembers(stack, 3, 'Limit');

    const result = await stack.gateway.execute(
      EnsureAccountMembershipsDocument,
      { accountId: acme.id, accountMemberIds: [one!.id, ron.id, two!.id, three!.id] },
      { authorization: stack.authorization },
    );

    const ensured = result.data?.ensureAccountMemberships;
    expect(ensured).toMatchObject({ created: 1, existing: 1, failed: 2 });
    expect(ensured?.__typename === 'EnsuredAccountMemberships' && ensured.results.map((item) => item.__typename)).toEqual([
      'EnsuredAccountMembership',
      'EnsuredAccountMembership',
      'MembershipLimitReachedError',
      'MembershipLimitReachedError',
    ]);
    expect(ensured?.__typename === 'EnsuredAccountMemberships' && ensured.results[2]).toMatchObject({ limit: 1000 });
    expect(stack.emulator.store.membershipCount(acme.id)).toBe(4);
  });

  it('is reported by ensureAccountMembership too', async () => {
    const [member] = newMembers(stack, 1, 'Full');
    const result = await stack.gateway.execute(
      EnsureAccountMembershipDocument,
      { accountId: acme.id, accountMemberId: member!.id },
      { authorization: stack.authorization },
    );
    expect(result.data?.ensureAccountMembership).toMatchObject({ __typename: 'MembershipLimitReachedError', limit: 1000 });
  });
});

describe('against a scripted Elastic Path', () => {
  let upstream: ScriptedUpstream;
  let gateway: TestGateway;

  useScriptedGateway(
    {
      // One bulk write at a time, so that the bulk cases' writes meet their replies in order.
      env: { EP_API_TIMEOUT_MS: '1000', EP_API_RETRY_BASE_MS: '5', EP_BULK_CONCURRENCY: '1' },
    },
    (started) => ({ upstream, gateway } = started),
  );

  const OTHER_MEMBER = '2c3a5e63-1f6b-4bb9-9c7e-6b1f4d0b7a11';
  const THIRD_MEMBER = '7d1c0b55-3e2a-4f7e-8a4c-2f9e1b6c5d33';
  const now = () => new Date().toISOString();
  /** Well after the write left, on any clock the `Date` headers allow: Elastic Path held the write, then made it. */
  const later = () => new Date(Date.now() + 10_000).toISOString();
  /** A membership as Elastic Path sends it, created at `createdAt` (now by default). */
  const membership = (memberId = MEMBER_ID, createdAt = now()) => {
    const body = membershipBody(memberId);
    return { ...body, data: { ...body.data, meta: { timestamps: { created_at: createdAt, updated_at: createdAt } } } };
  };
  const page = pageBody;
  const conflict = {
    status: 409,
    json: epError('409', 'Conflict', 'account membership with the given account id and account member id already exists'),
  };
  const ensure = (accountMemberId = MEMBER_ID) =>
    gateway.execute(EnsureAccountMembershipIdsOnlyDocument, { accountId: ACCOUNT_ID, accountMemberId }, { authorization: TOKEN });
  const ensureMany = (accountMemberIds: string[]) =>
    gateway.execute(EnsureAccountMembershipsDocument, { accountId: ACCOUNT_ID, accountMemberIds }, { authorization: TOKEN });
  const WRITE = `POST /v2/accounts/${ACCOUNT_ID}/account-memberships`;
  const LOOKUP = `GET /v2/accounts/${ACCOUNT_ID}/account-memberships?filter=eq(account_member_id,${MEMBER_ID})`;
  /**
   * One ensure's replies, by route: the write's, the filtered list read beside it, and the lookups
   * after it. The write answers once the read beside it has arrived, so the read beside it always
   * takes the first list reply and a lookup after the write the next.
   */
  const ensureReplies = (write: Answer, beside: Answer, ...after: Answer[]) =>
    upstream.reply(
      on(WRITE, { ...write, until: upstream.whenReceived(upstream.received.length + 2) }),
      on(LOOKUP, beside),
      ...after.map((answer) => on(LOOKUP, answer)),
    );
  const methods = () => upstream.received.map((request) => request.method).sort();
  const isLookup = (request: ReceivedRequest | undefined, memberId = MEMBER_ID) =>
    request?.method === 'GET' &&
    request.rawUrl.startsWith(`/v2/accounts/${ACCOUNT_ID}/account-memberships?`) &&
    new URL(request.rawUrl, 'http://x').searchParams.get('filter') === `eq(account_member_id,${memberId})`;

  describe('ensureAccountMembership', () => {
    it('answers a 409 with the membership found by the filtered list read beside the POST: EXISTED, one POST and one GET', async () => {
      ensureReplies(conflict, { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data]) });

      const result = await ensure();

      expect(result.data?.ensureAccountMembership).toMatchObject({
        outcome: 'EXISTED',
        created: false,
        membership: { id: MEMBERSHIP_ID, accountMember: { id: MEMBER_ID } },
      });
      expect(methods()).toEqual(['GET', 'POST']);
      const post = upstream.received.find((request) => request.method === 'POST');
      const lookup = upstream.received.find((request) => request.method === 'GET');
      expect(JSON.parse(post?.body ?? '')).toEqual({ data: { type: 'account_membership', account_member_id: MEMBER_ID } });
      expect(isLookup(lookup)).toBe(true);
      expect(lookup?.headers.authorization).toBe(TOKEN);
    });

    it("answers a 201 with created: true and the POST's membership, whatever the list read beside it held", async () => {
      // The list lags behind writes, and decides nothing: here it still shows an older record.
      const other = { ...membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data, id: '5a1b2c3d-0000-4000-8000-000000000099' };
      ensureReplies({ status: 201, json: membership() }, { status: 200, json: page([other]) });
      const result = await ensure();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'CREATED', created: true, membership: { id: MEMBERSHIP_ID } });
      expect(methods()).toEqual(['GET', 'POST']);
    });

    it('looks a 409 up after it when the list read beside the POST came back empty: EXISTED, one POST and two GETs', async () => {
      ensureReplies(
        conflict,
        { status: 200, json: page([]) },
        { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data]) },
      );
      const result = await ensure();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'EXISTED', membership: { id: MEMBERSHIP_ID } });
      expect(reconciledOf(result)).toBeUndefined();
      expect(methods()).toEqual(['GET', 'GET', 'POST']);
      expect(upstream.received.filter((request) => isLookup(request))).toHaveLength(2);
    });

    it('looks a 409 up after it when the list read beside the POST failed', async () => {
      ensureReplies(
        conflict,
        { status: 500, json: epError('500', 'Internal Server Error') },
        { status: 200, json: page([membership(MEMBER_ID).data]) },
      );
      const result = await ensure();
      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'EXISTED', membership: { id: MEMBERSHIP_ID } });
      expect(methods()).toEqual(['GET', 'GET', 'POST']);
    });

    it('answers CONFLICT when the membership Elastic Path called a duplicate is gone by the lookup', async () => {
      ensureReplies(conflict, { status: 200, json: page([]) }, { status: 200, json: page([]) });
      const result = await ensure();
      expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(result.errors?.[0]?.message).toBe(
        `The membership of account member ${MEMBER_ID} in account ${ACCOUNT_ID} changed while it was being ensured. Try again.`,
      );
      expect(upstream.received).toHaveLength(3);
    });

    it.each([
      ['reset after sending', { reset: true as const }],
      ['timed out', { hang: true as const }],
    ])('reconciles a create whose connection was %s and that landed well after it left: CREATED, one POST', async (_name, lost) => {
      // The list read beside the write did not see it yet; the lookup after the lost answer does.
      ensureReplies(lost, { status: 200, json: page([]) }, { status: 200, json: page([membership(MEMBER_ID, later()).data]) });

      const result = await ensure();

      expect(result.errors).toBeUndefined();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'CREATED', created: true, membership: { id: MEMBERSHIP_ID } });
      expect(reconciledOf(result)).toBe(true);
      expect(posts(upstream.received)).toHaveLength(1);
      expect(upstream.received.filter((request) => isLookup(request))).toHaveLength(2);
    });

    it.each([
      ['reset after sending', { reset: true as const }, 'the connection closed before the answer came'],
      ['timed out', { hang: true as const }, 'no answer came within 1000 ms'],
    ])(
      'answers a create whose connection was %s and whose membership the lookup did not find with WRITE_OUTCOME_UNKNOWN: one POST',
      async (_name, lost, cause) => {
        ensureReplies(lost, { status: 200, json: page([]) }, { status: 200, json: page([]) });

        const result = await ensure();

        expect(result.data).toBeNull();
        expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
        expect(result.errors?.[0]?.message).toContain(cause);
        expect(result.errors?.[0]?.message).not.toMatch(/try again/i);
        expect(reconciledOf(result)).toBeUndefined();
        // The write, the list read beside it, and the lookup after the lost answer.
        expect(methods()).toEqual(['GET', 'GET', 'POST']);
      },
    );

    it('answers WRITE_OUTCOME_UNKNOWN when the lookup itself fails', async () => {
      ensureReplies({ reset: true }, { status: 200, json: page([]) }, { status: 500, json: epError('500', 'Internal Server Error') });
      const result = await ensure();
      expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(posts(upstream.received)).toHaveLength(1);
      expect(upstream.received).toHaveLength(3);
    });

    it('answers EXISTED when the membership found after a lost answer is older than the create', async () => {
      ensureReplies(
        { reset: true },
        { status: 200, json: page([]) },
        { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data]) },
      );
      const result = await ensure();
      expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'EXISTED', created: false });
      expect(reconciledOf(result)).toBe(true);
      expect(upstream.received).toHaveLength(3);
    });
  });

  describe('createAccountMembership', () => {
    const create = () =>
      gateway.execute(CreateAccountMembershipDocument, { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID }, { authorization: TOKEN });

    it('answers a lost answer that landed well after the write left with the membership, its member included by the lookup', async () => {
      upstream.reply(
        on(WRITE, { reset: true }),
        // The member's record, read beside the write (the document selects its name).
        on(`GET /v2/account-members/${MEMBER_ID}`, { status: 200, json: memberBody() }),
        on(LOOKUP, {
          status: 200,
          json: { ...page([membership(MEMBER_ID, later()).data]), included: { account_members: [memberBody().data] } },
        }),
      );

      const result = await create();

      expect(result.data?.createAccountMembership).toMatchObject({
        __typename: 'AccountMembership',
        id: MEMBERSHIP_ID,
        accountMember: { id: MEMBER_ID, name: 'Ron Swanson' },
      });
      expect(reconciledOf(result)).toBe(true);
      expect(posts(upstream.received)).toHaveLength(1);
      const lookup = upstream.received.find((request) => isLookup(request));
      expect(new URL(lookup!.rawUrl, 'http://x').searchParams.get('include')).toBe('account_member');
      expect(upstream.received).toHaveLength(3);
    });

    it('answers MembershipAlreadyExistsError when what the lookup found is older than the create', async () => {
      upstream.reply(
        on(WRITE, { reset: true }),
        on(`GET /v2/account-members/${MEMBER_ID}`, { status: 200, json: memberBody() }),
        on(LOOKUP, { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data]) }),
      );
      const result = await create();
      expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'MembershipAlreadyExistsError' });
      expect(upstream.received).toHaveLength(3);
    });
  });

  describe('ensureAccountMemberships', () => {
    it('reads one page, then writes only the ids not on it, and looks up the one that conflicts', async () => {
      // 1000 memberships: reading 9 more pages would cost more than looking up 2 ids after a 409.
      upstream.reply(
        { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data], 1000) },
        { status: 201, json: membership(OTHER_MEMBER) },
        conflict,
        { status: 200, json: page([membership(THIRD_MEMBER, '2021-03-10T07:35:38.883Z').data]) },
      );

      const result = await ensureMany([MEMBER_ID, OTHER_MEMBER, THIRD_MEMBER]);

      expect(result.data?.ensureAccountMemberships).toMatchObject({
        created: 1,
        existing: 2,
        failed: 0,
        results: [{ created: false }, { created: true }, { created: false }],
      });
      const [first, ...rest] = upstream.received;
      expect(new URL(first!.rawUrl, 'http://x').searchParams.get('page[limit]')).toBe('100');
      expect(rest.map((request) => request.method)).toEqual(['POST', 'POST', 'GET']);
      expect(rest.map((request) => request.body && JSON.parse(request.body).data.account_member_id)).toEqual([
        OTHER_MEMBER,
        THIRD_MEMBER,
        '',
      ]);
      expect(isLookup(rest[2], THIRD_MEMBER)).toBe(true);
    });

    it('retries a create refused with 429 within the retry rules, writing it once', async () => {
      upstream.reply(
        { status: 200, json: page([]) },
        { status: 429, json: epError(429, 'Too Many Requests') },
        { status: 201, json: membership(MEMBER_ID) },
      );
      const result = await ensureMany([MEMBER_ID]);
      expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 1, failed: 0 });
      expect(posts(upstream.received)).toHaveLength(2);
    });

    it('keeps at most EP_BULK_CONCURRENCY creates in flight', async () => {
      const bounded = await startGateway({ upstreamUrl: upstream.url, env: { EP_BULK_CONCURRENCY: '2' } });
      try {
        upstream.reply({ status: 200, json: page([]) });
        upstream.always({ status: 201, json: membership(), delayMs: 40 });
        const ids = Array.from({ length: 8 }, (_, index) => `9a000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
        const result = await bounded.execute(
          EnsureAccountMembershipsDocument,
          { accountId: ACCOUNT_ID, accountMemberIds: ids },
          { authorization: TOKEN },
        );
        expect(result.data?.ensureAccountMemberships).toMatchObject({ created: 8 });
        expect(posts(upstream.received)).toHaveLength(8);
        expect(upstream.maxInFlight()).toBe(2);
      } finally {
        upstream.always(undefined);
        await bounded.close();
      }
    });

    it('answers a missing account with one NotFoundError after one call', async () => {
      upstream.reply({ status: 404, json: epError('404', 'Not Found', 'account not found') });
      const result = await ensureMany([MEMBER_ID, OTHER_MEMBER, THIRD_MEMBER]);
      expect(result.data?.ensureAccountMemberships).toMatchObject({ __typename: 'NotFoundError', resource: 'Account' });
      expect(upstream.received).toHaveLength(1);
    });

    it('fails the whole call with the code of a failure that is not about one member, and starts no further write', async () => {
      upstream.reply(
        { status: 200, json: page([]) },
        { status: 201, json: membership(MEMBER_ID) },
        { status: 503, json: epError(503, 'Service Unavailable') },
      );
      const result = await ensureMany([MEMBER_ID, OTHER_MEMBER, THIRD_MEMBER]);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(posts(upstream.received)).toHaveLength(2);
    });

    it('fails the call with WRITE_OUTCOME_UNKNOWN for a lost answer the lookup did not find, after one POST for it', async () => {
      upstream.reply({ status: 200, json: page([]) }, { hang: true }, { status: 200, json: page([]) });
      const result = await ensureMany([MEMBER_ID]);
      expect(result.errors?.[0]?.extensions?.code).toBe('WRITE_OUTCOME_UNKNOWN');
      expect(upstream.received.map((request) => request.method)).toEqual(['GET', 'POST', 'GET']);
    });
  });

  describe('reconciliation metrics and logs', () => {
    const reconciliations = async () => {
      const metric = await gateway.gateway.metrics.registry.getSingleMetric('graphql_reconciliations_total')?.get();
      return Object.fromEntries((metric?.values ?? []).map((sample) => [String(sample.labels.outcome), sample.value])) as Record<
        string,
        number
      >;
    };

    it('counts each outcome in graphql_reconciliations_total and names them on the access-log line', async () => {
      const before = await reconciliations();
      const from = gateway.logs.length;
      const notYet = { status: 200, json: page([]) };
      ensureReplies({ reset: true }, notYet, { status: 200, json: page([membership(MEMBER_ID, later()).data]) });
      await ensure();
      ensureReplies({ reset: true }, notYet, { status: 200, json: page([membership().data]) });
      await ensure();
      ensureReplies({ reset: true }, notYet, { status: 200, json: page([]) });
      await ensure();
      ensureReplies({ reset: true }, notYet, { status: 500, json: epError('500', 'Internal Server Error') });
      await ensure();
      ensureReplies({ reset: true }, notYet, { status: 200, json: page([membership(MEMBER_ID, '2021-03-10T07:35:38.883Z').data]) });
      await ensure();

      const after = await reconciliations();
      const added = Object.fromEntries(Object.entries(after).map(([outcome, count]) => [outcome, count - (before[outcome] ?? 0)]));
      expect(added).toEqual({ landed: 1, uncertain: 1, absent: 1, failed: 1, existing: 1 });

      const lines = gateway.logs
        .slice(from)
        .map((line) => JSON.parse(line) as { msg: string; reconciliations?: Record<string, number> })
        .filter((line) => line.msg === 'operation');
      expect(lines.map((line) => line.reconciliations)).toEqual([
        { landed: 1 },
        { uncertain: 1 },
        { absent: 1 },
        { failed: 1 },
        { existing: 1 },
      ]);
    });

    it('leaves the field out of the access-log line when nothing was reconciled', async () => {
      const from = gateway.logs.length;
      ensureReplies({ status: 201, json: membership() }, { status: 200, json: page([]) });
      await ensure();
      const line = gateway.logs
        .slice(from)
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.msg === 'operation');
      expect(line).toBeDefined();
      expect(line).not.toHaveProperty('reconciliations');
    });
  });
});
