/**
 * The fewest round trips for reads: a read whose inputs are known starts at once, beside its
 * parent's read, instead of after it. Each rule is checked with an upstream that holds every
 * answer until released and records, in one sequence, when each call arrived and was answered:
 * the calls that must overlap have all arrived while none has been answered. Nothing here reads
 * the clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { DEMO, seedDemoData } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { overlapped, roundTrips, startTimedUpstream, type TimedCall, type TimedUpstream } from '../support/timed-upstream.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy } = DEMO.members;
const { acmeRon } = DEMO.memberships;
const MISSING = '0b000000-0000-4000-8000-0000000000ff';

let emulator: Emulator;
let upstream: TimedUpstream;
let gateway: TestGateway;
let authorization: string;

beforeAll(async () => {
  emulator = createEmulator();
  upstream = await startTimedUpstream(await emulator.listen(0), { hold: true });
  gateway = await startGateway({ upstreamUrl: upstream.url });
  authorization = `Bearer ${emulator.issueToken()}`;
});
afterEach(() => {
  // Whatever a failed test left held goes, so that the next starts from nothing in flight.
  upstream.releaseAll();
  upstream.hold();
  upstream.reset();
  emulator.store.clear();
  seedDemoData(emulator.store);
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await emulator?.close();
});

const send = (query: string, variables: Record<string, unknown> = {}) => gateway.post({ query, variables }, { authorization });
const named = (call: TimedCall) => `${call.method} ${decodeURIComponent(call.url)}`;

/** Waits until `count` calls are in flight together, every answer still held, then lets them all go. */
async function inFlightTogether(count: number): Promise<string[]> {
  const calls = await upstream.arrivals(count);
  expect(calls.every((call) => call.answered === undefined)).toBe(true);
  upstream.releaseAll();
  return calls.map(named);
}

describe('reads that need only ids start beside their parent', () => {
  it('reads a member and its memberships (with their accounts) in one round trip', async () => {
    const answer = send(`query ($id: ID!) { accountMember(id: $id) { name memberships { edges { node { account { name } } } } } }`, {
      id: ron.id,
    });
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/account-members/${ron.id}`,
        `GET /v2/account-members/${ron.id}/account-memberships?page[limit]=25&page[offset]=0&include=account`,
      ]),
    );
    const result = await answer;
    expect(result.errors).toBeUndefined();
    const member = (result.data as { accountMember: { name: string; memberships: { edges: { node: { account: { name: string } } }[] } } })
      .accountMember;
    expect(member.name).toBe(ron.name);
    expect(member.memberships.edges.map(({ node }) => node.account.name).sort()).toEqual([acme.name, acmeEurope.name].sort());
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
  });

  it('reads an account and its memberships (with their members) in one round trip', async () => {
    const answer = send(`query ($id: ID!) { account(id: $id) { name memberships { edges { node { id accountMember { name } } } } } }`, {
      id: acme.id,
    });
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/accounts/${acme.id}`,
        `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=25&page[offset]=0&include=account_member`,
      ]),
    );
    const result = await answer;
    expect(result.errors).toBeUndefined();
    const account = (result.data as { account: { name: string; memberships: { edges: { node: { accountMember: { name: string } } }[] } } })
      .account;
    expect(account.name).toBe(acme.name);
    expect(account.memberships.edges.map(({ node }) => node.accountMember.name).sort()).toEqual([ron.name, leslie.name, april.name].sort());
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
  });

  it("reads an account's memberships with their account and members in one round trip", async () => {
    const answer = send(
      `query ($id: ID!) { accountMemberships(accountId: $id) { edges { node { id account { name } accountMember { name } } } } }`,
      { id: acme.id },
    );
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=25&page[offset]=0&include=account_member`,
        `GET /v2/accounts/${acme.id}`,
      ]),
    );
    const result = await answer;
    expect(result.errors).toBeUndefined();
    const edges = (
      result.data as { accountMemberships: { edges: { node: { account: { name: string }; accountMember: { name: string } } }[] } }
    ).accountMemberships.edges;
    expect(edges).toHaveLength(3);
    expect(edges.every(({ node }) => node.account.name === acme.name)).toBe(true);
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
  });

  it('reads one membership and its account in one round trip', async () => {
    const answer = send(
      `query ($accountId: ID!, $id: ID!) { accountMembership(accountId: $accountId, id: $id) { id account { name } accountMember { name } } }`,
      { accountId: acme.id, id: acmeRon.id },
    );
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}?include=account_member`,
        `GET /v2/accounts/${acme.id}`,
      ]),
    );
    const result = await answer;
    expect(result.data).toEqual({ accountMembership: { id: acmeRon.id, account: { name: acme.name }, accountMember: { name: ron.name } } });
    expect(upstream.calls).toHaveLength(2);
  });

  it('reads one member in one call', async () => {
    const answer = send(`query ($id: ID!) { accountMember(id: $id) { name } }`, { id: ron.id });
    expect(await inFlightTogether(1)).toEqual([`GET /v2/account-members/${ron.id}`]);
    expect((await answer).data).toEqual({ accountMember: { name: ron.name } });
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('a speculative read that meets a missing parent', () => {
  it("still answers a missing member with null, and its memberships' 404 stays unseen", async () => {
    const answer = send(`query ($id: ID!) { accountMember(id: $id) { name memberships { totalCount } } }`, { id: MISSING });
    await inFlightTogether(2);
    const result = await answer;
    expect(result.data).toEqual({ accountMember: null });
    expect(result.errors).toBeUndefined();
    // The one extra call it cost, counted in the estimate, and nothing after the answer.
    expect(upstream.calls.map((call) => call.status)).toEqual([404, 404]);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });

  it("answers a missing account's memberships with NOT_FOUND, the account read having gone beside it", async () => {
    const missingAccount = '0a000000-0000-4000-8000-0000000000ff';
    const answer = send(`query ($id: ID!) { accountMemberships(accountId: $id) { edges { node { account { name } } } } }`, {
      id: missingAccount,
    });
    await inFlightTogether(2);
    const result = await answer;
    expect(result.data).toBeNull();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(upstream.calls.every((call) => call.answered !== undefined)).toBe(true);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });
});

describe('what starts early, and what does not', () => {
  it('starts nothing for a field @include leaves out', async () => {
    upstream.releaseAll();
    const result = await send(
      `query ($id: ID!, $with: Boolean!) { accountMember(id: $id) { name memberships @include(if: $with) { totalCount } } }`,
      { id: ron.id, with: false },
    );
    expect(result.data).toEqual({ accountMember: { name: ron.name } });
    expect(upstream.calls.map(named)).toEqual([`GET /v2/account-members/${ron.id}`]);
  });

  it('starts nothing beside a page whose arguments are refused', async () => {
    upstream.releaseAll();
    const result = await send(
      `query ($id: ID!) { accountMemberships(accountId: $id, first: 500) { edges { node { account { name } } } } }`,
      {
        id: acme.id,
      },
    );
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(upstream.calls).toEqual([]);
  });

  it('starts at most 10 speculative reads in one operation; the rest wait for their parent', async () => {
    const aliases = Array.from({ length: 12 }, (_, n) => `m${n}: memberships(first: ${n + 1}) { totalCount }`).join(' ');
    const answer = send(`query ($id: ID!) { accountMember(id: $id) { name ${aliases} } }`, { id: ron.id });
    // The member and ten pages together; the other two only once the member has answered.
    const first = await upstream.arrivals(11);
    expect(first.filter((call) => call.url.includes('/account-memberships'))).toHaveLength(10);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(upstream.calls).toHaveLength(13);
    expect(result.extensions?.cost).toEqual({ estimated: 13, actual: 13 });
    expect(roundTrips(upstream.calls)).toBe(2);
    const member = upstream.calls.find((call) => !call.url.includes('/account-memberships')) as TimedCall;
    expect(upstream.calls.filter((call) => overlapped(call, member))).toHaveLength(11);
  });
});

describe('writes with the member read beside them', () => {
  const CREATE = `mutation ($accountId: ID!, $accountMemberId: ID!) {
    createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
      __typename ... on AccountMembership { id accountMember { name email } }
    }
  }`;
  const ENSURE = `mutation ($accountId: ID!, $accountMemberId: ID!) {
    ensureAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
      __typename ... on EnsuredAccountMembership { outcome membership { id accountMember { name } } }
    }
  }`;

  it('creates a membership and reads its member in one round trip, the write sent first', async () => {
    const answer = send(CREATE, { accountId: globex.id, accountMemberId: andy.id });
    const calls = await upstream.arrivals(2);
    expect(calls.every((call) => call.answered === undefined)).toBe(true);
    // The write arrives first: it took its connection slot and budget before the read beside it.
    expect(calls.map(named)).toEqual([`POST /v2/accounts/${globex.id}/account-memberships`, `GET /v2/account-members/${andy.id}`]);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.createAccountMembership).toMatchObject({
      __typename: 'AccountMembership',
      accountMember: { name: andy.name, email: andy.email },
    });
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });

  it('ensures a new membership in one round trip: the filtered list and the member read beside the POST; CREATED comes from the 201', async () => {
    const answer = send(ENSURE, { accountId: globex.id, accountMemberId: andy.id });
    const calls = await upstream.arrivals(3);
    expect(calls.every((call) => call.answered === undefined)).toBe(true);
    // The write arrives first: it took its connection slot and budget before the reads beside it.
    expect(named(calls[0] as TimedCall)).toBe(`POST /v2/accounts/${globex.id}/account-memberships`);
    expect(calls.slice(1).map(named).sort()).toEqual([
      `GET /v2/account-members/${andy.id}`,
      `GET /v2/accounts/${globex.id}/account-memberships?page[limit]=1&page[offset]=0&filter=eq(account_member_id,${andy.id})&include=account_member`,
    ]);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.ensureAccountMembership).toMatchObject({ outcome: 'CREATED', membership: { accountMember: { name: andy.name } } });
    expect(upstream.calls).toHaveLength(3);
    expect(roundTrips(upstream.calls)).toBe(1);
    expect(result.extensions?.cost).toEqual({ estimated: 3, actual: 3 });
  });

  it('ensures an existing membership in one round trip: EXISTED from the 409, the record from the filtered list read beside the POST', async () => {
    const answer = send(ENSURE, { accountId: acme.id, accountMemberId: ron.id });
    const calls = await upstream.arrivals(3);
    expect(calls.every((call) => call.answered === undefined)).toBe(true);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.ensureAccountMembership).toMatchObject({
      outcome: 'EXISTED',
      membership: { id: acmeRon.id, accountMember: { name: ron.name } },
    });
    const post = upstream.calls.find((call) => call.method === 'POST') as TimedCall;
    const lookup = upstream.calls.find((call) => call.url.includes('filter=')) as TimedCall;
    expect(upstream.calls[0]).toBe(post);
    expect(named(lookup)).toBe(
      `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=1&page[offset]=0&filter=eq(account_member_id,${ron.id})&include=account_member`,
    );
    expect(overlapped(post, lookup)).toBe(true);
    // The member's record, read beside them for a 201, is wasted here: the list included it.
    expect(upstream.calls.map(named)).toContain(`GET /v2/account-members/${ron.id}`);
    expect(upstream.calls).toHaveLength(3);
    expect(roundTrips(upstream.calls)).toBe(1);
    expect(result.extensions?.cost).toEqual({ estimated: 3, actual: 3 });
  });

  it('ensures an existing membership selecting only ids in one round trip of two calls', async () => {
    const answer = send(
      `mutation ($accountId: ID!, $accountMemberId: ID!) {
        ensureAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
          __typename ... on EnsuredAccountMembership { outcome membership { id accountMember { id } } }
        }
      }`,
      { accountId: acme.id, accountMemberId: ron.id },
    );
    const calls = await inFlightTogether(2);
    expect(calls[0]).toBe(`POST /v2/accounts/${acme.id}/account-memberships`);
    expect(calls[1]).toBe(
      `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=1&page[offset]=0&filter=eq(account_member_id,${ron.id})`,
    );
    const result = await answer;
    expect(result.data?.ensureAccountMembership).toMatchObject({
      outcome: 'EXISTED',
      membership: { id: acmeRon.id, accountMember: { id: ron.id } },
    });
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });

  it("reads nothing beside a write that selects only the member's id", async () => {
    const answer = send(
      `mutation ($accountId: ID!, $accountMemberId: ID!) {
        createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) { __typename ... on AccountMembership { accountMember { id } } }
      }`,
      { accountId: globex.id, accountMemberId: andy.id },
    );
    expect(await inFlightTogether(1)).toEqual([`POST /v2/accounts/${globex.id}/account-memberships`]);
    expect((await answer).data?.createAccountMembership).toEqual({ __typename: 'AccountMembership', accountMember: { id: andy.id } });
    expect(upstream.calls).toHaveLength(1);
  });
});

describe('a write whose only connection slot leaves no room beside it', () => {
  let single: TestGateway;
  beforeAll(async () => {
    // One connection and no queue: a read that found the slot taken would be refused at once, and a
    // write that found it taken by a read would be refused too.
    single = await startGateway({ upstreamUrl: upstream.url, env: { EP_API_CONNECTIONS: '1', EP_API_QUEUE_LIMIT: '0' } });
  });
  afterAll(async () => {
    await single?.close();
  });

  it('sends the write, starts no read beside it, and reads the member once the write has answered', async () => {
    const answer = single.post(
      {
        query: `mutation ($accountId: ID!, $accountMemberId: ID!) {
          createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) { __typename ... on AccountMembership { accountMember { name } } }
        }`,
        variables: { accountId: globex.id, accountMemberId: andy.id },
      },
      { authorization },
    );
    const [post] = await upstream.arrivals(1);
    expect(named(post as TimedCall)).toBe(`POST /v2/accounts/${globex.id}/account-memberships`);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.createAccountMembership).toEqual({ __typename: 'AccountMembership', accountMember: { name: andy.name } });
    expect(upstream.calls.map(named)).toEqual([`POST /v2/accounts/${globex.id}/account-memberships`, `GET /v2/account-members/${andy.id}`]);
    expect(overlapped(upstream.calls[0] as TimedCall, upstream.calls[1] as TimedCall)).toBe(false);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });

  it('ensures an existing membership with no read beside the write: the filtered lookup after the 409, its member included', async () => {
    const answer = single.post(
      {
        query: `mutation ($accountId: ID!, $accountMemberId: ID!) {
          ensureAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) {
            __typename ... on EnsuredAccountMembership { outcome membership { id accountMember { name } } }
          }
        }`,
        variables: { accountId: acme.id, accountMemberId: ron.id },
      },
      { authorization },
    );
    const [post] = await upstream.arrivals(1);
    expect(named(post as TimedCall)).toBe(`POST /v2/accounts/${acme.id}/account-memberships`);
    upstream.releaseAll();
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data?.ensureAccountMembership).toMatchObject({
      outcome: 'EXISTED',
      membership: { id: acmeRon.id, accountMember: { name: ron.name } },
    });
    expect(upstream.calls.map(named)).toEqual([
      `POST /v2/accounts/${acme.id}/account-memberships`,
      `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=1&page[offset]=0&filter=eq(account_member_id,${ron.id})&include=account_member`,
    ]);
    expect(roundTrips(upstream.calls)).toBe(2);
    expect(result.extensions?.cost).toEqual({ estimated: 3, actual: 2 });
  });
});
