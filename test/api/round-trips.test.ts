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

const { acme, acmeEurope } = DEMO.accounts;
const { ron, leslie, april } = DEMO.members;
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
    const answer = send(
      `query ($id: ID!) { accountMember(id: $id) { name memberships { edges { node { account { name } } } } } }`,
      { id: ron.id },
    );
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/account-members/${ron.id}`,
        `GET /v2/account-members/${ron.id}/account-memberships?page[limit]=25&page[offset]=0&include=account`,
      ]),
    );
    const result = await answer;
    expect(result.errors).toBeUndefined();
    const member = (result.data as { accountMember: { name: string; memberships: { edges: { node: { account: { name: string } } }[] } } }).accountMember;
    expect(member.name).toBe(ron.name);
    expect(member.memberships.edges.map(({ node }) => node.account.name).sort()).toEqual([acme.name, acmeEurope.name].sort());
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
  });

  it('reads an account and its memberships (with their members) in one round trip', async () => {
    const answer = send(
      `query ($id: ID!) { account(id: $id) { name memberships { edges { node { id accountMember { name } } } } } }`,
      { id: acme.id },
    );
    expect(await inFlightTogether(2)).toEqual(
      expect.arrayContaining([
        `GET /v2/accounts/${acme.id}`,
        `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=25&page[offset]=0&include=account_member`,
      ]),
    );
    const result = await answer;
    expect(result.errors).toBeUndefined();
    const account = (result.data as { account: { name: string; memberships: { edges: { node: { accountMember: { name: string } } }[] } } }).account;
    expect(account.name).toBe(acme.name);
    expect(account.memberships.edges.map(({ node }) => node.accountMember.name).sort()).toEqual([ron.name, leslie.name, april.name].sort());
    expect(upstream.calls).toHaveLength(2);
    expect(roundTrips(upstream.calls)).toBe(1);
  });

  it('reads an account\'s memberships with their account and members in one round trip', async () => {
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
    const edges = (result.data as { accountMemberships: { edges: { node: { account: { name: string }; accountMember: { name: string } } }[] } })
      .accountMemberships.edges;
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
      expect.arrayContaining([`GET /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}?include=account_member`, `GET /v2/accounts/${acme.id}`]),
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
  it('still answers a missing member with null, and its memberships\' 404 stays unseen', async () => {
    const answer = send(`query ($id: ID!) { accountMember(id: $id) { name memberships { totalCount } } }`, { id: MISSING });
    await inFlightTogether(2);
    const result = await answer;
    expect(result.data).toEqual({ accountMember: null });
    expect(result.errors).toBeUndefined();
    // The one extra call it cost, counted in the estimate, and nothing after the answer.
    expect(upstream.calls.map((call) => call.status)).toEqual([404, 404]);
    expect(result.extensions?.cost).toEqual({ estimated: 2, actual: 2 });
  });

  it('answers a missing account\'s memberships with NOT_FOUND, the account read having gone beside it', async () => {
    const missingAccount = '0a000000-0000-4000-8000-0000000000ff';
    const answer = send(`query ($id: ID!) { accountMemberships(accountId: $id) { edges { node { account { name } } } } }`, { id: missingAccount });
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
    const result = await send(`query ($id: ID!) { accountMemberships(accountId: $id, first: 500) { edges { node { account { name } } } } }`, {
      id: acme.id,
    });
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
