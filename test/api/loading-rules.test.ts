/**
 * The loading rules, checked by counting what the emulator received: no call for what a response
 * already carried, one call per distinct record per request, nothing shared between requests.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import {
  AccountDocument,
  AccountMembershipDocument,
  AccountMembershipIdsDocument,
  AccountMembershipsDocument,
  AccountMemberDocument,
  CreateAccountMembershipDocument,
  CreateAccountMembershipMemberIdOnlyDocument,
  FiveMembersDocument,
  MemberAccountsDocument,
  SameMemberThriceDocument,
  ThreeAccountsDocument,
} from '../gql/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterEach(() => stack.reset());
afterAll(() => stack.close());

const auth = () => ({ authorization: stack.authorization });
const paths = () => stack.upstreamCalls().map((call) => `${call.method} ${call.url}`);

describe('createAccountMembership loading', () => {
  it('costs one upstream call when only accountMember { id } is selected', async () => {
    const result = await stack.gateway.execute(
      CreateAccountMembershipMemberIdOnlyDocument,
      { accountId: globex.id, accountMemberId: andy.id },
      auth(),
    );
    expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'AccountMembership', accountMember: { id: andy.id } });
    expect(paths()).toEqual([`POST /v2/accounts/${globex.id}/account-memberships`]);
  });

  it('looks the member up once when its fields are selected', async () => {
    const result = await stack.gateway.execute(
      CreateAccountMembershipDocument,
      { accountId: globex.id, accountMemberId: april.id },
      auth(),
    );
    expect(result.data?.createAccountMembership).toMatchObject({ accountMember: { name: april.name, email: april.email } });
    expect(paths()).toEqual([`POST /v2/accounts/${globex.id}/account-memberships`, `GET /v2/account-members/${april.id}`]);
  });
});

describe('the member loader', () => {
  it('looks a member named three times in one operation up once', async () => {
    const result = await stack.gateway.execute(SameMemberThriceDocument, { id: ron.id }, auth());
    expect(result.data).toEqual({
      first: { name: ron.name },
      second: { email: ron.email },
      third: { id: ron.id, name: ron.name },
    });
    expect(paths()).toEqual([`GET /v2/account-members/${ron.id}`]);
  });

  it('never shares a cache entry or a token between concurrent requests', async () => {
    const other = `Bearer ${stack.emulator.issueToken()}`;
    const forged = 'Bearer not-a-token-the-emulator-issued';
    const runs = Array.from({ length: 30 }, (_, index) => [stack.authorization, other, forged][index % 3] as string);
    const results = await Promise.all(
      runs.map((authorization) => stack.gateway.execute(AccountMemberDocument, { id: leslie.id }, { authorization })),
    );
    results.forEach((result, index) => {
      if (runs[index] === forged) {
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(result.data?.accountMember ?? null).toBeNull();
      } else {
        expect(result.errors).toBeUndefined();
        expect(result.data?.accountMember?.name).toBe(leslie.name);
      }
    });
    // Each request looked the member up itself, with its own token.
    const calls = stack.upstreamCalls();
    expect(calls).toHaveLength(30);
    for (const authorization of [stack.authorization, other, forged]) {
      expect(calls.filter((call) => call.headers.authorization === authorization)).toHaveLength(10);
    }
  });

  it('looks members up one by one by default, and in one in(id,…) batch when enabled', async () => {
    const ids = { a: ron.id, b: leslie.id, c: april.id, d: andy.id, e: tom.id };
    const single = await stack.gateway.execute(FiveMembersDocument, ids, auth());
    expect(single.data?.e).toEqual({ name: tom.name });
    expect(paths().sort()).toEqual(
      Object.values(ids)
        .map((id) => `GET /v2/account-members/${id}`)
        .sort(),
    );

    stack.emulator.clearRequests();
    const batching = await startStack({ gateway: { env: { EP_MEMBER_BATCH_LOOKUP: 'true' } } });
    try {
      const batched = await batching.gateway.execute(FiveMembersDocument, ids, { authorization: batching.authorization });
      expect(batched.data).toEqual(single.data);
      const calls = batching.upstreamCalls();
      expect(calls).toHaveLength(1);
      expect(calls[0]?.path).toBe('/v2/account-members');
      expect(calls[0]?.query.get('filter')).toBe(`in(id,${Object.values(ids).join(',')})`);
    } finally {
      await batching.close();
    }
  });
});

describe('pages of memberships', () => {
  it('asks for include=account_member and costs one call when member fields are selected', async () => {
    const result = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id }, auth());
    const names = result.data?.accountMemberships.edges.map((edge) => edge.node.accountMember.name);
    expect(names).toEqual(expect.arrayContaining([ron.name, leslie.name, april.name]));
    const calls = stack.upstreamCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query.get('include')).toBe('account_member');
  });

  it('leaves include out and costs one call when only member ids are selected', async () => {
    const result = await stack.gateway.execute(AccountMembershipIdsDocument, { accountId: acme.id }, auth());
    expect(result.data?.accountMemberships.edges.length).toBeGreaterThanOrEqual(3);
    const calls = stack.upstreamCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query.has('include')).toBe(false);
  });

  it('includes the member of a single membership only when its fields are selected', async () => {
    const result = await stack.gateway.execute(AccountMembershipDocument, { accountId: acme.id, id: DEMO.memberships.acmeRon.id }, auth());
    expect(result.data?.accountMembership).toMatchObject({
      accountMember: { id: ron.id, name: ron.name },
      account: { id: acme.id, name: acme.name },
    });
    // The membership with its member, then the account: two calls, no member lookup.
    expect(paths()).toEqual([
      `GET /v2/accounts/${acme.id}/account-memberships/${DEMO.memberships.acmeRon.id}?include=account_member`,
      `GET /v2/accounts/${acme.id}`,
    ]);
  });
});

describe('the account loader', () => {
  it('loads several accounts with one in(id,…) request', async () => {
    const result = await stack.gateway.execute(ThreeAccountsDocument, { a: acme.id, b: acmeEurope.id, c: globex.id }, auth());
    expect(result.data).toEqual({ a: { name: acme.name }, b: { name: acmeEurope.name }, c: { name: globex.name } });
    const calls = stack.upstreamCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe('/v2/accounts');
    expect(calls[0]?.query.get('filter')).toBe(`in(id,${acme.id},${acmeEurope.id},${globex.id})`);
  });

  it('resolves a parent account and a page of memberships with members in three calls', async () => {
    const result = await stack.gateway.execute(AccountDocument, { id: acmeEurope.id }, auth());
    expect(result.data?.account).toMatchObject({
      name: acmeEurope.name,
      parent: { id: acme.id, name: acme.name },
      memberships: { totalCount: 1, edges: [{ node: { accountMember: { name: ron.name } } }] },
    });
    expect(stack.upstreamCalls()).toHaveLength(3);
  });

  it('leaves include=account out when no account field beyond id is selected', async () => {
    const result = await stack.gateway.post(
      { query: `{ accountMember(id: "${ron.id}") { memberships { edges { node { accountId account { id } } } } } }` },
      auth(),
    );
    expect(result.errors).toBeUndefined();
    const nodes = (result.data as any).accountMember.memberships.edges.map((edge: any) => edge.node);
    expect(nodes.map((node: any) => [node.accountId, node.account.id]).sort()).toEqual(
      [
        [acme.id, acme.id],
        [acmeEurope.id, acmeEurope.id],
      ].sort(),
    );
    const listing = stack.upstreamCalls().filter((call) => call.path === `/v2/account-members/${ron.id}/account-memberships`);
    expect(listing).toHaveLength(1);
    expect(listing[0]?.query.has('include')).toBe(false);
    expect(stack.upstreamCalls().filter((call) => call.path.startsWith('/v2/accounts'))).toHaveLength(0);
  });

  it('takes entity keys that differ only in case as one record: one lookup each, by the lowercase id', async () => {
    const { acmeRon } = DEMO.memberships;
    const representations = [
      { __typename: 'Account', id: acme.id.toUpperCase() },
      { __typename: 'Account', id: acme.id },
      { __typename: 'AccountMember', id: ron.id.toUpperCase() },
      { __typename: 'AccountMember', id: ron.id },
      { __typename: 'AccountMembership', accountId: acme.id.toUpperCase(), id: acmeRon.id.toUpperCase() },
      { __typename: 'AccountMembership', accountId: acme.id, id: acmeRon.id },
    ];
    const result = await stack.gateway.post(
      {
        query: `query ($representations: [_Any!]!) { _entities(representations: $representations) {
          ... on Account { id name } ... on AccountMember { id memberName: name } ... on AccountMembership { id accountId } } }`,
        variables: { representations },
      },
      auth(),
    );
    expect(result.errors).toBeUndefined();
    const account = { id: acme.id, name: acme.name };
    const member = { id: ron.id, memberName: ron.name };
    const membership = { id: acmeRon.id, accountId: acme.id };
    expect((result.data as any)._entities).toEqual([account, account, member, member, membership, membership]);
    expect(paths().sort()).toEqual(
      [
        `GET /v2/accounts/${acme.id}`,
        `GET /v2/account-members/${ron.id}`,
        `GET /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`,
      ].sort(),
    );
  });

  it('splits more than 100 accounts into in(id,…) batches of at most 100', async () => {
    // 150 named accounts are estimated at 2 batches and a lookup for each id a batch might not
    // return (see What a request may cost): over the default budget of 100.
    const roomy = await startStack({ gateway: { env: { MAX_UPSTREAM_CALLS: '200' } } });
    try {
      const extra = Array.from({ length: 150 }, (_, index) => roomy.emulator.store.addAccount({ name: `Extra ${index}` }));
      const representations = extra.map(({ id }) => ({ __typename: 'Account', id }));
      const result = await roomy.gateway.post(
        {
          query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }',
          variables: { representations },
        },
        { authorization: roomy.authorization },
      );
      expect(result.errors).toBeUndefined();
      expect((result.data as any)._entities).toEqual(extra.map(({ name }) => ({ name })));
      const batches = roomy.upstreamCalls().map((call) => {
        expect(call.path).toBe('/v2/accounts');
        return /^in\(id,(.*)\)$/.exec(call.query.get('filter') ?? '')?.[1]?.split(',') ?? [];
      });
      expect(batches.map((ids) => ids.length).sort((a, b) => b - a)).toEqual([100, 50]);
      expect(batches.flat().sort()).toEqual(extra.map(({ id }) => id).sort());
    } finally {
      await roomy.close();
    }
  });

  it("takes a member's accounts from include=account in one call", async () => {
    const result = await stack.gateway.execute(MemberAccountsDocument, { id: ron.id }, auth());
    const accounts = result.data?.accountMember?.memberships.edges.map((edge) => edge.node.account.name).sort();
    expect(accounts).toEqual([acme.name, acmeEurope.name].sort());
    // The two reads go out together (test/api/round-trips.test.ts), so in either order.
    expect(paths()).toHaveLength(2);
    expect(paths()).toEqual(
      expect.arrayContaining([
        `GET /v2/account-members/${ron.id}`,
        expect.stringMatching(new RegExp(`^GET /v2/account-members/${ron.id}/account-memberships\\?.*include=account`)),
      ]),
    );
  });
});
